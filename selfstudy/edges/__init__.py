"""The edges: files, spreadsheets, Google Sheets, the database and report files.

Each edge turns the outside world into core models and back, reports every
problem it finds with its location, and never half-writes a file.
"""
