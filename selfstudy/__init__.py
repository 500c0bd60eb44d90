"""selfstudy: a self-study assessment engine for equity-centred STEM program standards."""

__version__ = "0.1.0"
