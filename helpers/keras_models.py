"""The article's Keras model and an epoch timer, as project 7.1 teaches them.

Written first, visibly, in project 7.1 (its Keras 3 section, in a cell that starts
with ``# taught here; saved in helpers.keras_models``); the image benchmark
imports them from here, and ``tests/test_taught_code.py`` checks that the
notebook's code and this copy are the same. Importing this module imports
Keras (and TensorFlow): only cells tagged ``tensorflow`` use it.
"""

from __future__ import annotations

import time

import keras


def keras_article_cnn():
    """The article's CNN in Keras 3: a ``keras.Input`` first, softmax on the output."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, (3, 3), activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


class EpochTimer(keras.callbacks.Callback):
    """Records the seconds of every training epoch in ``self.seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
