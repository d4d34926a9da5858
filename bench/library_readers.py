"""Reads bench.photos with one reader, nothing else, and prints what it read as JSON
(documents, bytes, seconds); bench/library.py compares the two.

    python bench/library_readers.py URI photophone|beam
"""

import json
import sys
import time

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions


class Tally(beam.DoFn):
    def __init__(self, field):
        self._field = field
        self._docs = Metrics.counter("bench", "documents")
        self._bytes = Metrics.counter("bench", "bytes")

    def process(self, element):
        self._docs.inc()
        self._bytes.inc(len(getattr(element, "data", None) or element[self._field]))


uri, which = sys.argv[1], sys.argv[2]
if which == "photophone":
    from photophone.beam import ReadPhotosFromMongoDB

    read = ReadPhotosFromMongoDB(uri, "bench", "photos")
else:
    from apache_beam.io.mongodbio import ReadFromMongoDB

    read = ReadFromMongoDB(uri, "bench", "photos", bucket_auto=True)

options = PipelineOptions(["--runner=FnApiRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"])
t0 = time.monotonic()
pipeline = beam.Pipeline(options=options)
pipeline | read | beam.ParDo(Tally("image"))
result = pipeline.run()
result.wait_until_finish()
seconds = time.monotonic() - t0
counts = {c.key.metric.name: c.committed for c in result.metrics().query()["counters"]}
print(json.dumps({"reader": which, "documents": counts["documents"], "bytes": counts["bytes"], "seconds": seconds, "documents_per_s": counts["documents"] / seconds}))
