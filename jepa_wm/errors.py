"""Errors a user can cause. The CLI prints them as one line and exits non-zero, without a traceback."""


class JepaWmError(Exception):
    """Base class for every error caused by user input (files, configs, topics, checkpoints)."""


class ConfigError(JepaWmError):
    """A config file or override is malformed: unknown key, wrong type, bad value."""


class StoreError(JepaWmError):
    """A trajectory store is missing, foreign, inconsistent or corrupt."""


class CheckpointError(JepaWmError):
    """A checkpoint is missing, tampered with, or does not match the expected model."""


class BagError(JepaWmError):
    """A ROS 2 bag cannot be read or lacks the topics a conversion needs."""


class LaunchError(JepaWmError):
    """A launch file is malformed; the message names the file and line."""


class DatasetError(JepaWmError):
    """A foreign dataset (LeRobot) is unreadable, of another format version, or lacks a feature."""
