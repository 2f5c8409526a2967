"""PR pipeline helpers: policy enforcement config and preview summaries."""
