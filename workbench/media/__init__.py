"""Video in and out: encoders, fonts for drawing, and the reconnecting live-stream reader with its health."""
