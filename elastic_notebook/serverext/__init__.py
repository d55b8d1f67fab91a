"""jupyter_server extension: runs the companion server behind Jupyter's authentication."""
