"""Writes the migration corpus: ``tests/corpus/*.ipynb`` and ``tests/corpus/data/``.

    .venv/bin/python tests/corpus/build.py           # rewrite every notebook and data file
    .venv/bin/python tests/corpus/build.py --check   # exit 1 when a committed file is out of date

This file is the source of the corpus: edit a notebook here, then rebuild. Notebooks are nbformat
4.5 with stable cell ids (``<short name>-<n>``). Each carries ``metadata.corpus``:

- ``tags``: ``fast`` (a few seconds), ``slow`` (cells that take seconds to a minute: training,
  simulation), ``huge`` (the 2 GB session), ``large`` (holds at least 100 MB of state: the
  benchmark's target set), ``fault`` (the bundle gets corrupted before restore, see
  test_corpus_faults.py; its variables are marked "always copy" in the notebook's metadata, so
  they have payloads to damage);
- ``covers``: what the notebook exercises (acceptance items, for the reader);
- ``stateMB``: roughly how much state it leaves in the kernel.

Every notebook runs from its own folder (a copy of it made by the tests and the benchmark) and may
read ``data/`` and write scratch files next to itself.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def nb(name: str, short: str, tags: list[str], covers: list[str], state_mb: float, title: str, cells: list[str],
       metadata: dict | None = None):
    """One notebook: a markdown title cell, then the code cells; ``metadata`` is merged into the
    notebook's metadata."""
    return {"name": name, "short": short, "tags": tags, "covers": covers, "stateMB": state_mb, "title": title,
            "cells": cells, "metadata": metadata or {}}


NOTEBOOKS = [
    nb("01_numpy_arrays", "np", ["fast"], ["numpy"], 0.1, "NumPy arrays of many dtypes, changed in place", [
        "import numpy as np",
        """\
ints = np.arange(24, dtype=np.int64).reshape(4, 6)
floats = np.linspace(0.0, 1.0, 1000, dtype=np.float32)
specials = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-300])
flags = ints % 3 == 0
cplx = np.exp(1j * np.linspace(0, np.pi, 16))""",
        """\
records = np.zeros(5, dtype=[('id', 'i4'), ('score', 'f8'), ('tag', 'U8')])
records['id'] = np.arange(5)
records['score'] = np.sqrt(records['id'])
records['tag'] = ['a', 'bb', 'ccc', 'dd', 'e']""",
        """\
fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))
scalar0d = np.array(3.5)
empty = np.empty((0, 3))
dates = np.arange('2024-01-01', '2024-01-11', dtype='datetime64[D]')
objs = np.array([{'k': 1}, [1, 2], 'text', None], dtype=object)
frozen = np.arange(5)
frozen.flags.writeable = False""",
        """\
ints *= 2
floats[::10] = -1
objs[1].append(3)
total = float(ints.sum())
mean32 = floats.mean()
int_scalar = np.int16(-7)""",
    ]),
    nb("02_numpy_views", "views", ["fast"], ["numpy views", "aliases"], 0.3, "Views of arrays: slices, reshapes, transposes, views of views", [
        "import numpy as np\nbase = np.arange(100, dtype=np.float64)",
        """\
head = base[:10]
tail = base[90:]
evens = base[::2]
grid = base.reshape(10, 10)
col = grid[:, 3]
tgrid = grid.T""",
        """\
head[:] = -1          # writes through to base, grid, evens
grid[5, 5] = 999.0""",
        """\
owner = np.ones((200, 50))
rows = owner[10:20]
rows_of_rows = rows[2:4]          # a view of a view
small = np.arange(3)
bcast = np.broadcast_to(small, (4, 3))
as_bytes = base.view(np.uint8)""",
        """\
lone_view = np.arange(1000)[100:200]   # its base is not in the namespace
pair = [np.zeros(10)]
pair.append(pair[0][5:])               # a view inside a container
overlap_a = np.arange(20.0)[0:12]
overlap_b = overlap_a.base[8:20]       # two views overlapping in the middle""",
        """\
del owner              # rows and rows_of_rows keep its memory alive
rows_of_rows[0, 0] = 42.0""",
    ]),
    nb("03_pandas_frames", "pd", ["fast"], ["pandas"], 0.1, "pandas frames and series: categoricals, datetimes, MultiIndex, nullable dtypes", [
        "import numpy as np\nimport pandas as pd",
        """\
df = pd.DataFrame({
    'city': ['Oslo', 'Lima', 'Pune', 'Oslo', 'Lima', 'Kyiv'],
    'temp': [3.5, 19.0, 31.2, -2.0, np.nan, 8.8],
    'count': np.arange(6, dtype=np.int32),
    'when': pd.date_range('2024-03-01', periods=6, freq='D'),
})
df['city'] = df['city'].astype('category')
df['flag'] = pd.array([True, False, None, True, False, True], dtype='boolean')""",
        """\
summary = df.groupby('city', observed=True)['temp'].agg(['mean', 'max', 'count'])
wide = df.pivot_table(index='city', columns=df['when'].dt.day_name(), values='count', aggfunc='sum', observed=True)
multi = df.set_index(['city', 'when'])
s = pd.Series([1.5, 2.5, None], index=['a', 'b', 'c'], name='vals')""",
        """\
df.loc[df['temp'] > 10, 'count'] += 100
df['ratio'] = df['count'] / df['temp']
objcol = pd.DataFrame({'payload': [[1, 2], {'a': 1}, 'x']})
tz = pd.Series(pd.date_range('2024-01-01', periods=3, freq='h', tz='Europe/Oslo'))
binned = pd.cut(df['temp'], bins=3)
df.attrs['source'] = 'corpus'""",
    ]),
    nb("04_pandas_csv", "csv", ["fast"], ["pandas", "helper data files"], 0.2, "Reading CSV files, merging, grouping by month", [
        "import pandas as pd\nsales = pd.read_csv('data/sales.csv', parse_dates=['date'])\nregions = pd.read_csv('data/regions.csv')",
        """\
merged = sales.merge(regions, on='region_id', how='left')
monthly = merged.groupby([merged['date'].dt.to_period('M'), 'region'])['amount'].sum().unstack(fill_value=0)""",
        """\
top = merged.nlargest(5, 'amount')
merged['amount_eur'] = merged['amount'] * 0.92
cumulative = monthly.cumsum()
quantiles = merged['amount'].quantile([0.1, 0.5, 0.9])""",
    ]),
    nb("05_sklearn_models", "skl", ["fast"], ["scikit-learn models"], 0.3, "Fitted scikit-learn models and pipelines", [
        """\
import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier
from sklearn.cluster import KMeans""",
        """\
X, y = make_classification(n_samples=400, n_features=8, random_state=0)
Xr, yr = make_regression(n_samples=300, n_features=5, noise=0.1, random_state=1)""",
        """\
clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
clf.fit(X, y)
acc = clf.score(X, y)""",
        """\
tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
ridge = Ridge(alpha=0.5).fit(Xr, yr)
scaler = clf.named_steps['standardscaler']   # an alias into the pipeline
preds = tree.predict(X[:20])
unfitted = LogisticRegression(C=0.1)
km = KMeans(n_clusters=3, n_init=3, random_state=0).fit(X[:, :2])""",
    ]),
    nb("06_matplotlib_figures", "mpl", ["fast"], ["matplotlib figures"], 0.2, "matplotlib figures, axes and artists kept in variables", [
        "import numpy as np\nimport matplotlib.pyplot as plt",
        """\
x = np.linspace(0, 2 * np.pi, 50)
fig, ax = plt.subplots(figsize=(5, 3))
line, = ax.plot(x, np.sin(x), color='tab:blue', label='sin')
ax.plot(x, np.cos(x), '--', label='cos')
ax.set_title('waves')
ax.set_xlabel('x')
legend = ax.legend()""",
        """\
fig2, axes = plt.subplots(1, 2, figsize=(6, 3))
dots = axes[0].scatter([1, 2, 3], [3, 1, 2], c='red')
bars = axes[1].bar(['a', 'b', 'c'], [5, 7, 2])
note = axes[1].text(0.5, 6, 'peak')
fig2.suptitle('two panels')""",
        """\
line.set_ydata(np.sin(x) * 2)     # change an artist after the figure was shown
ax.set_ylim(-2.5, 2.5)
image_fig, image_ax = plt.subplots()
picture = image_ax.imshow(np.arange(16.0).reshape(4, 4), cmap='viridis')""",
    ]),
    nb("07_pandas_plotting", "pdplot", ["fast"], ["pandas", "matplotlib figures"], 0.1, "Plots made by pandas", [
        """\
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
frame = pd.DataFrame({'t': np.arange(30), 'a': np.sin(np.arange(30) / 5), 'b': np.cos(np.arange(30) / 5)})""",
        """\
plot_ax = frame.plot(x='t', y=['a', 'b'], title='signals')
plot_fig = plot_ax.figure""",
        """\
hist_ax = frame['a'].plot.hist(bins=8)
box = frame[['a', 'b']].boxplot(return_type='axes')""",
    ]),
    nb("08_functions", "fn", ["fast"], ["functions", "functions reading primitive globals"], 0.0, "Notebook-defined functions: globals, closures, defaults, decorators", [
        "import functools\nimport math",
        """\
scale = 3
def scaled(v):
    return v * scale          # reads a primitive global

square = lambda v: v * v

def make_counter(start):
    count = [start]
    def step():
        count[0] += 1
        return count[0]
    return step

counter = make_counter(10)
counter(); counter()""",
        """\
def with_default(a, b=[1, 2], *, c=None):
    b.append(a)
    return b

def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        wrapper.calls += 1
        return fn(*args)
    wrapper.calls = 0
    return wrapper

@logged
def add(a, b):
    return a + b

add(1, 2)
with_default(7)
half = functools.partial(scaled, 0.5)""",
        """\
@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def norm(*values):
    return math.sqrt(sum(square(v) for v in values))

fib_30 = fib(30)
length = norm(3, 4)""",
        """\
scale = 5                     # rebinding the global changes what scaled() returns
result = scaled(2)
results = list(map(scaled, range(5)))
add_again = add
ops = {'add': add, 'square': square}""",
    ]),
    nb("09_classes", "cls", ["fast"], ["classes", "instances"], 0.0, "Notebook-defined classes: inheritance, properties, slots, dataclasses, class state", [
        "from dataclasses import dataclass, field\nimport math\nimport enum",
        """\
class Shape:
    sides = 0
    def __init__(self, name):
        self.name = name
    def describe(self):
        return f'{self.name} with {self.sides} sides'

class Square(Shape):
    sides = 4
    def __init__(self, size):
        super().__init__('square')
        self.size = size
    @property
    def area(self):
        return self.size ** 2
    @staticmethod
    def unit():
        return Square(1)
    @classmethod
    def of(cls, size):
        return cls(size)

sq = Square.of(3)
shapes = [sq, Shape('blob'), Square.unit()]
Shape.registry = [s.name for s in shapes]   # class state changed after creation""",
        """\
@dataclass
class Point:
    x: float
    y: float = 0.0
    tags: list = field(default_factory=list)
    def norm(self):
        return math.hypot(self.x, self.y)

p = Point(3, 4, ['origin'])
points = [Point(i, -i) for i in range(3)]
bound = sq.describe""",
        """\
class Slotted:
    __slots__ = ('a', 'b')
    def __init__(self):
        self.a = 1

class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2

class Registry(dict):
    def __init__(self):
        super().__init__()
        self.hits = 0

slotted = Slotted()
level = Level.HIGH
registry = Registry()
registry['sq'] = sq
registry.hits += 1""",
        """\
class Version:                       # defined twice: old instances keep the old class
    label = 'first'
old_version = Version()
class Version:
    label = 'second'
new_version = Version()""",
    ]),
    nb("10_aliases", "alias", ["fast"], ["aliases across variables and inside containers"], 0.0, "The same object reached from several variables and containers", [
        """\
shared = [1, 2, 3]
alias = shared
holder = {'list': shared, 'again': shared}
pair = (shared, shared)
nested = [[shared], {'deep': [holder]}]""",
        """\
shared.append(4)          # visible through every alias
matrix = [[0] * 3] * 3    # the same row three times
matrix[0][0] = 1""",
        """\
cyclic = [1]
cyclic.append(cyclic)
selfdict = {}
selfdict['me'] = selfdict

class Node:
    def __init__(self, value):
        self.value = value
        self.next = None

a_node = Node(1)
b_node = Node(2)
a_node.next = b_node
b_node.next = a_node      # a cycle through attributes
ring = [a_node, b_node]""",
        """\
equal_1 = [1, 2]
equal_2 = [1, 2]          # equal but distinct objects
keyed = {(1, 'a'): shared, frozenset({1, 2}): equal_1}
members = {'x', 'y', 'z'}
members_alias = members""",
    ]),
    nb("11_containers_with_arrays", "box", ["fast"], ["numpy views", "aliases across variables and inside containers"], 1.0, "Arrays shared by containers, objects and dataframes", [
        "import numpy as np\nimport pandas as pd\narr = np.arange(12.0).reshape(3, 4)",
        """\
cache = {'x': arr, 'y': arr, 'row': arr[1]}
arrays = [arr, arr[:, :2], arr.T]

class Holder:
    def __init__(self, data):
        self.data = data
        self.part = data[0]

holder = Holder(arr)
objarr = np.empty(3, dtype=object)
objarr[0] = cache
objarr[1] = arrays
objarr[2] = holder""",
        """\
arr[0, 0] = -5.0
frame = pd.DataFrame({'v': np.arange(5)})
frames = {'a': frame, 'b': frame}
frame.loc[0, 'v'] = 100""",
    ]),
    nb("12_unpicklable", "unpk", ["fast"], ["generators/open files/locks (recomputed)"], 0.0, "Generators, open files, locks and iterators", [
        "import threading\nimport itertools",
        """\
def countdown(n):
    while n > 0:
        yield n
        n -= 1

gen = countdown(10)
first_two = [next(gen), next(gen)]
squares = (i * i for i in range(100))
next(squares)""",
        """\
log = open('data/words.txt')
header = log.readline()
out = open('scratch-output.txt', 'w')
out.write('hello\\n')
out.flush()""",
        """\
lock = threading.Lock()
rlock = threading.RLock()
held = threading.Lock()
held.acquire()
event = threading.Event()
event.set()""",
        """\
counter = itertools.count(5)
next(counter)
letters = iter('abcdef')
next(letters)
words = [w.strip() for w in log]   # reads the rest of the file
closed_file = open('data/words.txt')
closed_file.close()
next(gen)""",
    ]),
    nb("13_cells_that_raise", "err", ["fast"], ["cells that raise"], 0.0, "Cells that raise after changing state", [
        "values = [1, 2, 3]\nstatus = {'step': 0}",
        """\
values.append(4)
status['step'] = 1
raise ValueError('boom after partial work')""",
        "total = sum(values)",
        """\
def risky(d):
    d['tries'] = d.get('tries', 0) + 1
    return 1 / 0

risky(status)      # ZeroDivisionError after mutating status""",
        """\
import numpy as np
arr = np.zeros(5)
arr[:2] = 1
arr[10] = 5        # IndexError after a partial write""",
        "undefined_name + 1",
        "after = total + status['tries']\npartial = [i for i in range(3)]",
    ]),
    nb("14_magics_shell", "magic", ["fast"], ["magics and shell lines"], 0.0, "Line magics, cell magics and shell lines", [
        "%env CORPUS_FLAG=on\nimport os\nflag = os.environ['CORPUS_FLAG']",
        """\
%%capture captured
print('hidden output')
print('second line')""",
        "listing = !ls data\necho = !echo shell-line\nfolder = os.path.basename(os.getcwd())",
        "%time slow_sum = sum(range(100000))",
        """\
%%writefile generated.txt
line one
line two""",
        """\
with open('generated.txt') as fh:
    generated = fh.read()
lines_from_shell = !cat generated.txt
!echo this output is not kept""",
        "count_lines = len(lines_from_shell)\ntexts = %who_ls str",
    ]),
    nb("15_randomness", "rand", ["fast"], ["unseeded randomness"], 0.2, "Unseeded randomness: random, numpy's global generator, new generators, sklearn", [
        "import random\nimport numpy as np",
        """\
r1 = random.random()
choices = random.sample(range(1000), 10)
deck = list(range(20))
random.shuffle(deck)""",
        "noise = np.random.rand(1000)\nnormal = np.random.normal(size=(50, 4))",
        "rng = np.random.default_rng()      # seeded from the OS\ndraws = rng.integers(0, 100, size=20)",
        "more = np.random.rand(5) + r1\nown = random.Random()\nown_draw = own.random()",
        """\
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
Xc, yc = make_classification(n_samples=200, n_features=6)     # numpy's global generator
forest = RandomForestClassifier(n_estimators=10).fit(Xc, yc)""",
    ]),
    nb("16_builtin_values", "vals", ["fast"], ["scalars and standard-library values"], 0.0, "Scalars, text, bytes and standard-library containers", [
        "import collections, datetime, decimal, enum, fractions, pathlib, re, uuid",
        """\
n_int = 42
big_int = 2 ** 200
x_float = 0.1 + 0.2
nan = float('nan')
neg_zero = -0.0
inf = float('inf')
z = complex(1.5, -2)
text = 'héllo wörld ✓'
long_text = 'lorem ipsum ' * 500
raw = b'\\x00\\x01binary'
buf = bytearray(b'mutable')
nothing = None
yes = True""",
        """\
od = collections.OrderedDict([('b', 2), ('a', 1)])
dd = collections.defaultdict(list)
dd['x'].append(1)
cnt = collections.Counter('mississippi')
dq = collections.deque([1, 2, 3], maxlen=5)
dq.appendleft(0)
Pair = collections.namedtuple('Pair', 'left right')
pr = Pair(1, [2])""",
        """\
dec = decimal.Decimal('1.10') * 3
frac = fractions.Fraction(3, 7)
when = datetime.datetime(2024, 5, 17, 13, 45, tzinfo=datetime.timezone.utc)
delta = datetime.timedelta(days=3, seconds=5)

class Color(enum.Enum):
    RED = 1
    GREEN = 2

fav = Color.GREEN
ident = uuid.UUID('12345678-1234-5678-1234-567812345678')
pattern = re.compile(r'(\\w+)@(\\w+)\\.com', re.I)
path = pathlib.PurePosixPath('data/words.txt')
span = range(3, 30, 3)
cut = slice(1, 10, 2)
dots = ...""",
        "buf.extend(b'!')\ndq.append(4)\ncnt['z'] += 2",
    ]),
    nb("17_inplace_and_deletes", "mut", ["fast"], ["in-place changes", "deletions"], 0.0, "In-place changes, rebinding and deletion across cells", [
        "import numpy as np\ndata = {'a': [1], 'b': np.zeros(3)}\nitems = []",
        """\
for i in range(5):
    items.append(i * i)
data['a'].extend([2, 3])
data['b'] += 1.5""",
        """\
class Box:
    pass

box = Box()
box.content = items
box._private = {'hidden': 1}""",
        "temp = [1, 2, 3]\ndel temp\nkeep = items[:]      # a copy, not an alias\nitems.pop()",
        "x = 1\nx = 'rebound'\nx = [x]",
        "del data['a']\ngone = 5\ndel gone\nbox._private['hidden'] += 1",
    ]),
    nb("18_text_processing", "text", ["fast"], ["helper data files", "standard library"], 0.1, "Word statistics from a text file", [
        """\
import re, collections, json
with open('data/words.txt') as fh:
    raw_text = fh.read()
tokens = re.findall(r'[a-z]+', raw_text.lower())
freq = collections.Counter(tokens)
top10 = freq.most_common(10)""",
        """\
index = {}
for pos, tok in enumerate(tokens):
    index.setdefault(tok, []).append(pos)
as_json = json.dumps(top10)
parsed = json.loads(as_json)
vocab = sorted(set(tokens))
by_len = collections.defaultdict(set)
for t in vocab:
    by_len[len(t)].add(t)""",
    ]),
    nb("19_numpy_pandas_mixed", "mix", ["fast"], ["numpy", "pandas", "aliases across variables and inside containers"], 1.5, "Frames built from arrays, frames in containers", [
        """\
import numpy as np
import pandas as pd
arr = np.random.default_rng(7).normal(size=(1000, 4))
frame = pd.DataFrame(arr, columns=list('abcd'))
frames = {'main': frame, 'copy': frame.copy(), 'same': frame}
series_list = [frame['a'], frame['b']]""",
        """\
frame['e'] = frame['a'] * 2
stats = frame.describe()
corr = frame.corr()
arr[0, 0] = 100.0
sel = frame[frame['a'] > 0]
values_copy = frame.to_numpy(copy=True)
col_view = values_copy[:, 1]""",
    ]),
    nb("20_corrupted_payload", "fault", ["fast", "fault"], ["a variable whose payload is corrupted before restore (fallback)"], 0.5, "Results of slow cells: worth copying; the tests corrupt a payload", [
        "import time\nimport numpy as np",
        """\
def sieve(limit):
    flags = bytearray([1]) * (limit + 1)
    flags[0:2] = b'\\x00\\x00'
    for i in range(2, int(limit ** 0.5) + 1):
        if flags[i]:
            flags[i * i::i] = bytearray(len(range(i * i, limit + 1, i)))
    return [i for i, f in enumerate(flags) if f]

time.sleep(1.5)                 # stands for a slow computation
primes = sieve(200_000)
prime_gaps = np.diff(primes)""",
        """\
time.sleep(1.5)
table = {n: n ** 3 for n in range(2000)}
table_keys = list(table)""",
        "quick = len(primes) + len(table)",
    ],
        # The user's "always copy" marks: the faults tests damage these payloads.
        metadata={"elastic_notebook": {"alwaysCopy": ["primes", "table"]}}),
    nb("21_simulation", "sim", ["slow", "large"], ["cells that take seconds (simulation)", "numpy"], 180, "A numpy heat-diffusion simulation and random walks", [
        """\
import numpy as np
n = 1500
grid = np.zeros((n, n))
grid[n // 2 - 60:n // 2 + 60, n // 2 - 60:n // 2 + 60] = 100.0
snapshots = []""",
        """\
for step in range(600):
    grid[1:-1, 1:-1] += 0.2 * (grid[:-2, 1:-1] + grid[2:, 1:-1] + grid[1:-1, :-2] + grid[1:-1, 2:] - 4 * grid[1:-1, 1:-1])
    if step % 120 == 119:
        snapshots.append(grid.copy())""",
        """\
rng = np.random.default_rng(3)
walkers = rng.standard_normal((2000, 4000)).cumsum(axis=1)
final_positions = walkers[:, -1]
spread = final_positions.std()""",
        """\
centre_line = grid[n // 2]              # a view of the final grid
heat_total = float(grid.sum())
energy = [float(s.sum()) for s in snapshots]""",
    ]),
    nb("22_training", "train", ["slow", "large"], ["scikit-learn models", "cells that take seconds (model training)"], 150, "Training scikit-learn models for several seconds", [
        """\
import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split
X, y = make_classification(n_samples=120_000, n_features=40, n_informative=20, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)""",
        "forest = RandomForestClassifier(n_estimators=40, max_depth=10, random_state=0, n_jobs=1).fit(X_train, y_train)",
        "boost = HistGradientBoostingClassifier(max_iter=80, random_state=0).fit(X_train, y_train)",
        """\
features = np.hstack([X, X ** 2, np.abs(X)])
proba = forest.predict_proba(X_test)
scores = {'forest': forest.score(X_test, y_test), 'boost': boost.score(X_test, y_test)}
importances = forest.feature_importances_""",
    ]),
    nb("23_pandas_large", "pdbig", ["slow", "large"], ["pandas", "cells that take seconds"], 300, "An events table with millions of rows, grouped and sorted", [
        """\
import numpy as np
import pandas as pd
rng = np.random.default_rng(1)
n = 3_000_000
events = pd.DataFrame({
    'user': rng.integers(0, 50_000, n),
    'value': rng.normal(size=n),
    'kind': pd.Categorical(rng.choice(['click', 'view', 'buy'], n)),
    'ts': pd.date_range('2024-01-01', periods=n, freq='s'),
})""",
        """\
per_user = events.groupby('user').agg(total=('value', 'sum'), n=('value', 'size'), last=('ts', 'max'))
by_kind = events.groupby('kind', observed=True)['value'].describe()""",
        "top3_per_cohort = events.groupby(events['user'] // 4)['value'].apply(lambda s: s.nlargest(3).sum())   # Python per group",
        """\
events_sorted = events.sort_values(['user', 'ts'])
rolling = events['value'].rolling(1000).mean()
hourly = events.set_index('ts')['value'].resample('h').mean()""",
    ]),
    nb("24_session_2gb", "huge", ["huge", "large"], ["a 2 GB session", "numpy views"], 2048, "A 2 GB session: large arrays, views of them, summaries", [
        """\
import numpy as np
rng = np.random.default_rng(42)
big_a = rng.standard_normal((8192, 16384))          # 1 GiB of float64""",
        "big_b = (big_a * 0.5).astype(np.float32)             # 512 MiB\nbig_c = np.arange(64 * 1024 * 1024, dtype=np.int64)  # 512 MiB",
        """\
top_rows = big_a[:100]                               # a view into big_a
col_means = big_a.mean(axis=0)
b_max = float(big_b.max())
c_tail = big_c[-10:]""",
        "big_c[:1000] = -1\nsummary = {'rows': big_a.shape[0], 'mean_of_means': float(col_means.mean())}",
    ]),
    nb("25_iterators", "iters", ["fast"], ["generators/open files/locks (recomputed)", "iterators"], 0.0, "Partly consumed iterators and generators of notebook functions", [
        "import itertools\nsource = list(range(10))",
        """\
it = iter(source)
next(it); next(it)
pairs = zip(source, 'abcdefghij')
next(pairs)
mapped = map(str, source)
next(mapped)
enum_it = enumerate('xyz')
next(enum_it)""",
        """\
def fib_gen():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b

fibs = fib_gen()
first = list(itertools.islice(fibs, 10))
cycle = itertools.cycle([1, 2])
next(cycle)
chunks = itertools.islice(source, 2, 8)""",
        "source.append(99)          # iterators over source see the change\nnext_after = next(it)",
    ],
        # Pin a plan that copies the iterators: their payloads must keep pointing at `source`.
        metadata={"elastic_notebook": {"alwaysCopy": ["mapped", "source", "it", "pairs"]}}),
    nb("26_nested_structures", "deep", ["fast"], ["aliases across variables and inside containers", "numpy", "pandas"], 0.2, "Deeply nested experiment records mixing every kind of value", [
        """\
import numpy as np
import pandas as pd
weights = np.linspace(0, 1, 11)
config = {'lr': 0.01, 'layers': [64, 32], 'weights': weights}""",
        """\
runs = []
for seed in range(3):
    rng = np.random.default_rng(seed)
    runs.append({
        'seed': seed,
        'config': config,                         # every run shares the same config
        'loss': rng.random(20).cumsum()[::-1],
        'table': pd.DataFrame({'epoch': range(5), 'acc': rng.random(5)}),
    })
best = max(runs, key=lambda r: r['loss'][-1])
by_seed = {r['seed']: r for r in runs}""",
        "config['layers'].append(16)\nweights *= 2\nsummary = [(r['seed'], float(r['loss'].min())) for r in runs]",
    ]),
    nb("27_rerun_reads_copy", "reread", ["fast"], ["numpy views", "aliases across variables and inside containers"], 0.5,
       "A re-run cell that reads a copied array and makes a view of it", [
        "import numpy as np\nn = 200\ngrid = np.zeros((n, n))\ngrid[90:110, 90:110] = 100.0",
        "for step in range(50):\n    grid[1:-1, 1:-1] += 0.2 * (grid[:-2, 1:-1] + grid[2:, 1:-1] - 2 * grid[1:-1, 1:-1])",
        "centre_line = grid[n // 2]              # a view: one group with grid\nheat_total = float(grid.sum())",
    ],
        # Pin the plan: the grid/centre_line group is copied, heat_total recomputed, so the last
        # cell is re-run and reads grid before the copy's producer order would load it.
        metadata={"elastic_notebook": {"alwaysCopy": ["grid"], "neverCopy": ["heat_total"]}}),
]


# -- helper data ---------------------------------------------------------------------------------

WORDS = """\
Elastic sessions move between machines the way a traveller moves between trains.
Every cell that ran leaves a trace in the history graph, and every trace says which
values were read and which were written. A checkpoint looks at that history and asks
a simple question for each value: is it cheaper to carry it along, or to make it again
on arrival? Large arrays that came from a quick cell are made again. Small results of a
slow cell are carried. Generators, open files and locks cannot be carried at all, so the
cells that made them run once more. The restored session must be the same session: the
same values, the same sharing between them, the same views into the same memory.
"""


def write_data() -> dict[str, str]:
    """Deterministic helper data files (name -> text)."""
    rng = random.Random(2024)
    regions = io.StringIO()
    w = csv.writer(regions, lineterminator="\n")
    w.writerow(["region_id", "region", "manager"])
    for i, (name, manager) in enumerate([("north", "Ada"), ("south", "Grace"), ("east", "Edsger"), ("west", "Barbara"), ("centre", "Alan")]):
        w.writerow([i, name, manager])
    sales = io.StringIO()
    w = csv.writer(sales, lineterminator="\n")
    w.writerow(["order_id", "date", "region_id", "product", "amount"])
    for order in range(400):
        day = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(0, 180))
        w.writerow([order, day.isoformat(), rng.randrange(0, 6), rng.choice(["tea", "coffee", "cocoa", "juice"]), f"{rng.uniform(2, 400):.2f}"])
    return {"words.txt": WORDS, "regions.csv": regions.getvalue(), "sales.csv": sales.getvalue()}


# -- writing ---------------------------------------------------------------------------------------

def render(spec: dict) -> str:
    cells = [{"cell_type": "markdown", "id": f"{spec['short']}-title", "metadata": {}, "source": _lines(f"# {spec['title']}\n\nCovers: {', '.join(spec['covers'])}.")}]
    for i, source in enumerate(spec["cells"]):
        cells.append({"cell_type": "code", "execution_count": None, "id": f"{spec['short']}-{i}", "metadata": {}, "outputs": [], "source": _lines(source)})
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "corpus": {"tags": spec["tags"], "covers": spec["covers"], "stateMB": spec["stateMB"]},
            **spec["metadata"],
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    return lines


def outputs() -> dict[Path, str]:
    files = {HERE / f"{spec['name']}.ipynb": render(spec) for spec in NOTEBOOKS}
    files.update({DATA / name: text for name, text in write_data().items()})
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not args.check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    known = {p.name for p in outputs()}
    extra = [p for p in HERE.glob("*.ipynb") if p.name not in known]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(HERE)} (run tests/corpus/build.py)", file=sys.stderr)
        for path in extra:
            print(f"not built by build.py: {path.relative_to(HERE)}", file=sys.stderr)
        return 1 if stale or extra else 0
    print(f"wrote {len(stale)} file(s); {len(NOTEBOOKS)} notebooks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
