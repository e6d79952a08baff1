"""The workstation's reading app (ipywidgets and itkwidgets in a classic notebook): reader studies
case by case, archives, and algorithms run on an image of one's own.

Start it with ``from gc_extension.reading.app import ReadingApp; ReadingApp().show()``; the
workstation's reading notebook does that when it opens.
"""
