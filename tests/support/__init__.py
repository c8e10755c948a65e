"""Test helpers shared by the whole suite."""
