"""The pure core: models, rules and figures, with no I/O.

Nothing here imports Streamlit, a database driver, a spreadsheet library or
the network, reads a file or prints; `make test` checks it (import-linter).
"""
