"""Image import on the worker side: recognise uploaded files, read and check their headers, read
their voxels with SimpleITK and store them as compressed MHA (or TIFF) in the data directory.

Nothing here touches the web; the services enqueue ``tasks.import_upload_session`` by its dotted
path. Each file's result is data (an image or a message a person can act on), never an
exception that stops the other files of the session.
"""
