"""The Image Gallery dock: make images (generate, edit with a mask, vary) and keep them all."""

from workbench.ui.panels.gallery.panel import GalleryPanel

__all__ = ["GalleryPanel"]
