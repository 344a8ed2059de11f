"""Product media: uploaded photos, their web-sized renditions, and their files.

A subpackage of the catalog (media belong to products; the model's app label is
``catalog``):

- ``models``: ``ProductMedia``, one uploaded image and its renditions;
- ``images``: everything Pillow does (type from the bytes, bomb guard, EXIF
  orientation, sRGB, metadata stripped, renditions);
- ``storage``: content-addressed names in ``STORAGES["default"]`` and URLs;
- ``services``: every write (upload, edit, delete, renditions, sweep);
- ``tasks``: the RQ jobs on the ``media`` queue;
- ``serializers``, ``views``, ``urls``, ``admin``: the API and the admin inline.
"""
