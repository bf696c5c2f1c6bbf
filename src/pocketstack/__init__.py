"""pocketstack: an OpenStack cloud (RA1 chapter 5 API profile) in one Python process."""

__version__ = "0.1.0"
