"""sferum_analysis: weekly Sferum usage statistics per municipality.

Thin notebooks in ``notebooks/`` call into this package; the CLI ``sferum`` runs them
with Papermill and publishes the week's report.
"""

__version__ = "0.1.0"
