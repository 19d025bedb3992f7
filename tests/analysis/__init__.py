"""Tests of the pure analysis code; they need no app."""
