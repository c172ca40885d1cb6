from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "ladder.segments"
    label = "segments"
    verbose_name = "Segments and lists"
