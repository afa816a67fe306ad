"""WSGI entry point: builds the application and nothing else."""

import gc

from exchange import create_app

app = create_app()
# The objects made while loading (modules, the ORM's mappings, catalogs, templates) live as long
# as the process: moved out of the garbage collector's generations, they are not walked again by
# each full collection (about 150,000 objects, some 0.1 s every couple of thousand requests).
gc.freeze()
