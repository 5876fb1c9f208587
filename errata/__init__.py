"""Instructor-verified errata: report, verify or reject, mark fixed in a notebook version."""
