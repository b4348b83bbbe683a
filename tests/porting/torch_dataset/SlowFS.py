"""lua/SlowFS.lua: a registry of slow file systems by URL scheme (``'viewfs://'`` -> a constructor). Its
default ``viewfs`` constructor needs Twitter's ``hdfs`` rock, which is not ported."""

constructors = {}


def split(x, y):
    i = x.find(y)
    if i >= 0:
        return [x[:i], x[i + len(y):]]
    else:
        return []


def register(url, constructor):
    constructors[split(url, "://")[0]] = constructor


def find(url):
    parts = split(url, "://")
    return constructors.get(parts[0]) if parts else None


def _hdfs(cache, opt=None):
    # Hack for Cortex
    raise NotImplementedError("torch-dataset's SlowFS 'viewfs://': Twitter's hdfs.HDFS rock is not ported")


register('viewfs://', _hdfs)
