"""Helpers for the data tests: a loopback HTTP server and builders of tiny archives in
the real layouts."""
