"""``python -m storyline.spark``, or this file's path given to ``spark-submit``."""

import sys

from storyline.spark.job import main

if __name__ == "__main__":
    sys.exit(main())
