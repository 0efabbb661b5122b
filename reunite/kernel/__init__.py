"""The project's shared building blocks, under both apps: API plumbing (problems, parsers,
schema hooks), the error base, task sending with its retry policy, step timings, log context
and image responses. The kernel imports neither app; both apps import only this part of
`reunite`.
"""
