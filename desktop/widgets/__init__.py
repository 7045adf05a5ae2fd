"""Reusable widgets: the table panel, inline messages, the bar chart."""
