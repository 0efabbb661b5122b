"""The programme page: figures for the people who run a tracing programme."""
