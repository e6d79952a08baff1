"""The core: settings, database, errors. Imports no web framework, queue, Docker or SimpleITK."""
