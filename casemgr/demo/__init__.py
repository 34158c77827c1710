"""The demo dataset (demo.yaml), loaded with ``casemgr load``."""
