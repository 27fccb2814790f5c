"""Label Studio's own settings plus one change for a server that must not reach the internet.

Label Studio 1.23 has no setting for its "live tips": every login and home page load makes the browser ask the server
for /heidi-tips/, and the server fetches them from raw.githubusercontent.com (an offline server fails and answers 404,
so the browser asks again on the next load). `NoLiveTips` answers that request here exactly as an offline server ends
up answering it (404, `{}`: the page shows the tips bundled with Label Studio), without trying the network.

Label Studio's settings module reads django.conf.settings while it is being imported (to set up Sentry): Django must
find Label Studio's own, partly imported module then, as when Label Studio starts without this file. Once it is
imported, this module is the settings (everything Label Studio's has, plus the middleware).
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "label_studio.core.settings.label_studio"
from label_studio.core.settings.label_studio import *  # noqa: F403

os.environ["DJANGO_SETTINGS_MODULE"] = __name__

MIDDLEWARE = ["workbench_offline_middleware.NoLiveTips", *MIDDLEWARE]  # noqa: F405
