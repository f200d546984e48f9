"""Intermediate models, named ``int_<entity>s_<verb>``."""
