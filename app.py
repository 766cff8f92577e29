"""The dashboard's entry point: the frame (page config, sign-in, navigation, the sidebar's view
bound to the URL; see pages/frame.py for the page list), then the page the URL asks for, with the
database held open for the run."""

from pages.common import database_held
from pages.frame import frame

with database_held():
    frame().run()
