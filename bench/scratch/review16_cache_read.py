"""Usage: review16_cache_read.py TREE LABEL: CPU s of cached_profiles read back from the cache (7 reads)."""
import sys, time, os
sys.path.insert(0, sys.argv[1])
os.environ["CLEANER_CACHE_DIR"] = "/tmp/rv16-cache-" + sys.argv[2]
from langdetect.detector_factory import PROFILES_DIRECTORY
from cleaner.stages.language.detect import cached_profiles
cached_profiles(PROFILES_DIRECTORY)
ts = []
for _ in range(7):
    t = time.process_time(); cached_profiles(PROFILES_DIRECTORY); ts.append(time.process_time() - t)
ts.sort(); print(sys.argv[2], "median %.4f min %.4f max %.4f" % (ts[3], ts[0], ts[-1]))
