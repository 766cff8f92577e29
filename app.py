"""The dashboard's entry point: the frame (page config, sign-in, navigation, the sidebar's view
bound to the URL; see pages/frame.py for the page list), then the page the URL asks for."""

from pages.frame import frame

frame().run()
