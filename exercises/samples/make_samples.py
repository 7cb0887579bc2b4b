"""Write the sample class: synthetic trainees' notebooks, made from the source notebooks.

    python exercises/samples/make_samples.py [OUT_DIR]      # default: this file's folder

Each trainee starts from the source notebooks as a trainee would from the released ones:
every solution region is filled in (with the course's solution unless the trainee wrote
their own code or a mistake), then cells are edited the way trainees edit them (extra
prints, split or moved cells, renamed headings, dropped metadata, odd file names). Nothing
is random and nothing is executed, so running this twice writes identical bytes; a test
checks that the committed samples are what this script writes. EXPECTED.md says what each
trainee's notebooks should score and why.
"""
from __future__ import annotations

import copy
import hashlib
import sys
import textwrap
from pathlib import Path

import nbformat

from grader.cli.release import exercise_id, find_regions, placeholder_lines, replace_regions, write_notebook_bytes

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE.parent / "source"
SOURCES = {
    "4_1": "4_1_convolution", "4_2": "4_2_maxpooling", "4_3": "4_3_padding_reshape_transpose",
    "4_4": "4_4_im2col_col2im_trainee", "4_5": "4_5_convolution_layer_trainee",
    "4_6": "4_6_maxpooling_layer_trainee", "4_7": "4_7_simpleconvnet_trainee",
    "4_10": "4_10_katakana_groupwork",
    "4_8": "4_8_Augmentor", "4_9": "4_9_ImageDataGenerator_sample",
}


class Sample:
    """One trainee's copy of one exercise notebook, edited step by step."""

    def __init__(self, trainee: str, exercise: str, file_name: str | None = None, source_dir: Path = SOURCE_DIR):
        self.trainee, self.exercise = trainee, exercise
        self.file_name = file_name or f"{SOURCES[exercise]}.ipynb"
        path = source_dir / f"{SOURCES[exercise]}.ipynb"
        self.nb = nbformat.read(path, as_version=4)
        self._source_path = path
        self._new_ids = 0

    # ------------------------------------------------------------ solution regions

    def solve(self, mine: dict[str, str] | None = None, todo: tuple[str, ...] = (), *, keep_comment: bool = True):
        """Fill every solution region: the trainee's own code for the names in ``mine``, the
        untouched placeholder for the names in ``todo``, the course's solution otherwise.
        ``keep_comment`` leaves the template's "write your code here" line above the code."""
        mine = dict(mine or {})
        used = set()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            regions = find_regions(cell.source, self.exercise, f"{self._source_path.name}: cell {index}")
            lines = cell.source.split("\n")

            def fill(region, lines=lines):
                used.add(region.name)
                if region.name in todo:
                    return placeholder_lines(region.name, region.indent)
                head = placeholder_lines(region.name, region.indent)[:1] if keep_comment else []
                if region.name in mine:
                    body = textwrap.dedent(mine[region.name]).strip("\n").split("\n")
                    return head + [region.indent + line if line else "" for line in body]
                return head + lines[region.begin + 1:region.end]

            cell.source = replace_regions(cell.source, regions, fill)
        unknown = (set(mine) | set(todo)) - used
        if unknown:
            raise KeyError(f"{self.file_name}: no solution region named {sorted(unknown)}")
        return self

    # ------------------------------------------------------------ cells

    def _index(self, cell_id: str) -> int:
        for i, cell in enumerate(self.nb.cells):
            if cell.get("id") == cell_id:
                return i
        raise KeyError(f"{self.file_name}: no cell with id {cell_id!r}")

    def _new_cell(self, source: str, cell_type: str):
        self._new_ids += 1
        key = f"{self.trainee}/{self.file_name}/{self._new_ids}"
        text = textwrap.dedent(source).strip("\n")
        cell = nbformat.v4.new_code_cell(text) if cell_type == "code" else nbformat.v4.new_markdown_cell(text)
        cell["id"] = hashlib.sha1(key.encode()).hexdigest()[:8]
        return cell

    def edit(self, cell_id: str, old: str, new: str):
        """Replace the text ``old`` (which must be there) by ``new`` in one cell."""
        cell = self.nb.cells[self._index(cell_id)]
        if old not in cell.source:
            raise ValueError(f"{self.file_name}: cell {cell_id!r} does not contain {old!r}")
        cell.source = cell.source.replace(old, new, 1)
        return self

    def replace_cell(self, cell_id: str, source: str):
        self.nb.cells[self._index(cell_id)].source = textwrap.dedent(source).strip("\n")
        return self

    def insert_after(self, cell_id: str, source: str, cell_type: str = "code"):
        self.nb.cells.insert(self._index(cell_id) + 1, self._new_cell(source, cell_type))
        return self

    def move_after(self, cell_id: str, target_id: str):
        cell = self.nb.cells.pop(self._index(cell_id))
        self.nb.cells.insert(self._index(target_id) + 1, cell)
        return self

    def split(self, cell_id: str, at: str):
        """Split a cell before the first line starting with ``at``; the second part is a new cell."""
        index = self._index(cell_id)
        cell = self.nb.cells[index]
        lines = cell.source.split("\n")
        cut = next(i for i, line in enumerate(lines) if line.startswith(at))
        cell.source = "\n".join(lines[:cut]).rstrip("\n")
        self.nb.cells.insert(index + 1, self._new_cell("\n".join(lines[cut:]), cell.cell_type))
        return self

    def delete(self, cell_id: str):
        del self.nb.cells[self._index(cell_id)]
        return self

    def drop_grader_metadata(self):
        """What a trainee's notebook looks like after "Save as" from another tool: no grader key."""
        self.nb.metadata.pop("grader", None)
        return self

    def notebook(self) -> nbformat.NotebookNode:
        nb = copy.deepcopy(self.nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        return nb


# ================================================================ the trainees' code

CONVOLUTION_SATO = """
x = np.array(x, dtype=float)
w = np.array(w, dtype=float)
if x.ndim == 2:
    x = x.reshape(1, *x.shape)
    w = w.reshape(1, *w.shape)
C, H, W = x.shape
FH, FW = w.shape[1], w.shape[2]
OH = conv_output_size(H, FH, pad, stride)
OW = conv_output_size(W, FW, pad, stride)
if pad > 0:
    x = np.pad(x, [(0, 0), (pad, pad), (pad, pad)])
out = np.zeros((OH, OW))
for i in range(OH):
    for j in range(OW):
        h0 = i * stride
        w0 = j * stride
        out[i, j] = (x[:, h0:h0 + FH, w0:w0 + FW] * w).sum() + b
return out
"""

CONVOLUTION_FLIPPED = """
x = np.array(x, dtype=float)
w = np.array(w, dtype=float)[::-1, ::-1]  # 畳み込みなのでフィルターを180度回転させる
if x.ndim == 2:
    x = x[np.newaxis]
    w = w[np.newaxis]
C, H, W = x.shape
_, FH, FW = w.shape
out_h = conv_output_size(H, FH, pad, stride)
out_w = conv_output_size(W, FW, pad, stride)
x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
out = np.zeros((out_h, out_w))
for i in range(out_h):
    for j in range(out_w):
        out[i, j] = np.sum(x[:, i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b
return out
"""

MAX_POOLING_ZERO_PAD = """
x = np.array(x, dtype=float)
if x.ndim == 2:
    x = x[np.newaxis]
    is_2d = True
else:
    is_2d = False
C, H, W = x.shape
OH = (H + 2*pad - pool_h) // stride + 1
OW = (W + 2*pad - pool_w) // stride + 1
x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), mode="constant")
out = np.zeros((C, OH, OW))
for c in range(C):
    for i in range(OH):
        for j in range(OW):
            out[c, i, j] = x_pad[c, i*stride:i*stride+pool_h, j*stride:j*stride+pool_w].max()
if is_2d:
    return out[0]
return out
"""

IM2COL_BY_WINDOWS = """
N, C, H, W = input_data.shape
out_h = (H + 2*pad - filter_h) // stride + 1
out_w = (W + 2*pad - filter_w) // stride + 1
img = np.pad(np.asarray(input_data, dtype=float), [(0, 0), (0, 0), (pad, pad), (pad, pad)],
             'constant', constant_values=constant_values)
col = []
for n in range(N):
    for i in range(out_h):
        for j in range(out_w):
            window = img[n, :, i*stride:i*stride+filter_h, j*stride:j*stride+filter_w]
            col.append(window.reshape(-1))
return np.array(col)
"""

COL2IM_OVERWRITES = """
N, C, H, W = input_shape
out_h = (H + 2*pad - filter_h) // stride + 1
out_w = (W + 2*pad - filter_w) // stride + 1
col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
img = np.zeros((N, C, H + 2*pad, W + 2*pad))
for y in range(filter_h):
    y_max = y + stride*out_h
    for x in range(filter_w):
        x_max = x + stride*out_w
        img[:, :, y:y_max:stride, x:x_max:stride] = col[:, :, y, x, :, :]
return img[:, :, pad:H + pad, pad:W + pad]
"""

IM2COL_SUZUKI = """
N, C, H, W = input_data.shape
out_h = (H + 2*pad - filter_h) // stride + 1
out_w = (W + 2*pad - filter_w) // stride + 1
img = np.pad(input_data.astype(float), [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant', constant_values=constant_values)
col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
for y in range(filter_h):
    y_max = y + stride*out_h
    for x in range(filter_w):
        x_max = x + stride*out_w
        col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)
return col
"""

CONVOLUTION_BACKWARD_DB_NOT_SUMMED = """
FN, C, FH, FW = self.W.shape
dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

self.db = dout.reshape(-1, FN)
self.dW = np.dot(self.col.T, dout)
self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)

dcol = np.dot(dout, self.col_W.T)
dx = col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)
return dx
"""

MAXPOOLING_FORWARD_ZERO_PAD = """
N, C, H, W = x.shape
out_h = int(1 + (H + 2*self.pad - self.pool_h) / self.stride)
out_w = int(1 + (W + 2*self.pad - self.pool_w) / self.stride)

col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
col = col.reshape(-1, self.pool_h*self.pool_w)

arg_max = np.argmax(col, axis=1)
out = np.max(col, axis=1)
out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

self.x_shape = x.shape
self.arg_max = arg_max
return out
"""

COL2IM_STARTED = """
N, C, H, W = input_shape
out_h = (H + 2*pad - filter_h) // stride + 1
out_w = (W + 2*pad - filter_w) // stride + 1
img = np.zeros((N, C, H + 2*pad, W + 2*pad))
# TODO: im2col の逆をやる (まだ途中)
"""

SOFTMAX_WITH_LOSS_SUMMED = """
# DAY3 で作った Softmax-with-Loss を自分で書いてみる
def softmax(x):
    x = x - np.max(x, axis=1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)


def cross_entropy_error(y, t):
    return -np.sum(t * np.log(y + 1e-7))


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        if t.ndim == 1:
            t = np.eye(x.shape[1], dtype=x.dtype)[t]
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        dx = (self.y - self.t) * dout
        return dx
"""


def train_on_subset(sample: Sample, n_images: int, epochs: int, lr: float, note: str, *, batch_size: int = 100,
                    n_test: int = 1000) -> Sample:
    """The edit every trainee makes to 4_7: fewer images (the textbook's "処理に時間のかかる場合は
    データを削減" cut, the test split too) and epochs, a larger learning rate, so it runs in seconds."""
    sample.edit("train", "max_epochs = 3", f"max_epochs = {epochs}")
    sample.edit("train", "batch_size = 100", f"batch_size = {batch_size}")
    sample.edit("train", "learning_rate = 0.001", f"learning_rate = {lr}")
    return sample.insert_after("load-data", f"""
        # {note}
        x_train, t_train = x_train[:{n_images}], t_train[:{n_images}]
        x_test, t_test = x_test[:{n_test}], t_test[:{n_test}]
        print(x_train.shape, x_test.shape)
        """)


# ================================================================ the trainees

def sato(src: Path) -> list[Sample]:
    """佐藤: everything complete and correct; tidy, with a few extra cells of her own."""
    t = "t01_sato"
    return [
        Sample(t, "4_1", source_dir=src).solve({"convolution": CONVOLUTION_SATO}, keep_comment=False)
        .insert_after("conv-output-size-check", "print(conv_output_size(28, 5), conv_output_size(24, 2, stride=2))")
        .edit("convolution-md", "### 演習 2: `convolution` を実装してください", "### 演習 2: `convolution` (自分の実装)"),
        Sample(t, "4_2", source_dir=src).solve(keep_comment=False)
        .move_after("padding-check", "example-data")
        .insert_after("max-pooling", "print(max_pooling(np.arange(16).reshape(4, 4), 2, 2, stride=2))"),
        Sample(t, "4_3", source_dir=src).solve(keep_comment=False)
        .split("pad-hw-check", 'check("-1 で埋める"'),
        Sample(t, "4_4", source_dir=src).solve(keep_comment=False)
        .insert_after("im2col-check-blocks", "print(im2col(np.random.rand(10, 1, 28, 28), 5, 5).shape)  # MNIST サイズ")
        .insert_after("col2im-md", "メモ: 重なっているところは **足す** (`+=`)。勾配は足し合わせる!", "markdown"),
        Sample(t, "4_5", source_dir=src).solve(keep_comment=False)
        .edit("forward-md", "### 演習: `forward` と `backward` を実装してください", "### 演習 (Convolution クラス)")
        .insert_after("forward-check-batch", "print(out.shape)\nprint(out[1, 1])"),
        Sample(t, "4_6", source_dir=src).solve(keep_comment=False)
        .move_after("tie-check", "slide-check"),
        train_on_subset(Sample(t, "4_7", source_dir=src).solve(keep_comment=False), 6000, 1, 0.01,
                        "全部だと時間がかかるので 6000 枚・1 エポック。そのぶん学習率を上げた"),
    ]


def suzuki(src: Path) -> list[Sample]:
    """鈴木: flips the filter (4_1), col2im overwrites (4_4) and reuses it in 4_5. Saves his
    notebooks as suzuki_4_x.ipynb from another editor: no grader metadata."""
    t = "t02_suzuki"
    own_im2col_col2im = (
        "# 4_4 で作った自分の im2col / col2im を使う\n"
        + "def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):\n"
        + textwrap.indent(textwrap.dedent(IM2COL_SUZUKI).strip("\n"), "    ") + "\n\n\n"
        + "def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):\n"
        + textwrap.indent(textwrap.dedent(COL2IM_OVERWRITES).strip("\n"), "    ")
    )
    samples = [
        Sample(t, "4_1", "suzuki_4_1.ipynb", src).solve({"convolution": CONVOLUTION_FLIPPED}),
        Sample(t, "4_2", "suzuki_4_2.ipynb", src).solve(),
        Sample(t, "4_3", "suzuki_4_3.ipynb", src).solve(),
        Sample(t, "4_4", "suzuki_4_4.ipynb", src).solve({"im2col": IM2COL_SUZUKI, "col2im": COL2IM_OVERWRITES})
        .insert_after("col2im-check-overlap", "print(counts)"),
        Sample(t, "4_5", "suzuki_4_5.ipynb", src).solve().replace_cell("imports", own_im2col_col2im),
        Sample(t, "4_6", "suzuki_4_6.ipynb", src).solve(),
        train_on_subset(Sample(t, "4_7", "suzuki_4_7.ipynb", src).solve(), 3000, 2, 0.005, "時間短縮のため 3000 枚",
                        batch_size=50),
    ]
    for sample in samples:
        sample.drop_grader_metadata()
    return samples


def takahashi(src: Path) -> list[Sample]:
    """高橋: pads max pooling with 0 (4_2 and 4_6); writes im2col window by window. Has
    downloaded some notebooks twice ("(1)" copies, no metadata). No 4_7."""
    t = "t03_takahashi"
    return [
        Sample(t, "4_1", source_dir=src).solve(),
        Sample(t, "4_2", "4_2_maxpooling (1).ipynb", src).solve({"max_pooling": MAX_POOLING_ZERO_PAD})
        .drop_grader_metadata()
        .insert_after("padding-check", "print(max_pooling(np.array([[-1, -2], [-3, -4]]), 2, 2, stride=2, pad=1))"),
        Sample(t, "4_3", source_dir=src).solve(),
        Sample(t, "4_4", source_dir=src).solve({"im2col": IM2COL_BY_WINDOWS}),
        Sample(t, "4_5", source_dir=src).solve(),
        Sample(t, "4_6", "4_6 (1).ipynb", src).solve({"MaxPooling.forward": MAXPOOLING_FORWARD_ZERO_PAD})
        .drop_grader_metadata(),
    ]


def tanaka(src: Path) -> list[Sample]:
    """田中: db not summed (4_5, a Jupyter "Copy1" file); her own Softmax-with-Loss sums the
    loss instead of averaging it (4_7)."""
    t = "t04_tanaka"
    return [
        Sample(t, "4_1", source_dir=src).solve(),
        Sample(t, "4_2", source_dir=src).solve(),
        Sample(t, "4_3", source_dir=src).solve()
        .insert_after("filters-to-matrix-check", "print(W2.reshape(2, -1))\nprint(filters_to_matrix(W2))"),
        Sample(t, "4_4", source_dir=src).solve(),
        Sample(t, "4_5", "4_5_convolution_layer_trainee-Copy1.ipynb", src)
        .solve({"Convolution.backward": CONVOLUTION_BACKWARD_DB_NOT_SUMMED}),
        Sample(t, "4_6", source_dir=src).solve(),
        train_on_subset(
            Sample(t, "4_7", source_dir=src).solve().insert_after("imports", SOFTMAX_WITH_LOSS_SUMMED),
            5000, 1, 0.008, "PC が遅いので 5000 枚・1 エポックだけ"),
    ]


def watanabe(src: Path) -> list[Sample]:
    """渡辺: ran out of time: 4_3 half done, col2im started but unfinished, 4_5 opened but
    untouched, in 4_7 only ``__init__`` written, 4_6 not submitted."""
    t = "t05_watanabe"
    return [
        Sample(t, "4_1", source_dir=src).solve(),
        Sample(t, "4_2", source_dir=src).solve(),
        Sample(t, "4_3", source_dir=src).solve(todo=("matrix_to_nchw", "nchw_to_matrix")),
        Sample(t, "4_4", source_dir=src).solve({"col2im": COL2IM_STARTED}),
        Sample(t, "4_5", source_dir=src).solve(todo=("Convolution.forward", "Convolution.backward")),
        Sample(t, "4_7", source_dir=src).solve(
            todo=("SimpleConvNet.predict", "SimpleConvNet.loss", "SimpleConvNet.accuracy", "SimpleConvNet.gradient")),
    ]


def yamamoto(src: Path) -> list[Sample]:
    """山本: all graded code correct, but left experiments that raise in the middle of 4_3
    and 4_5. His 4_4 is a "(1)" copy without metadata. No 4_7."""
    t = "t06_yamamoto"
    return [
        Sample(t, "4_1", source_dir=src).solve(),
        Sample(t, "4_2", source_dir=src).solve(),
        Sample(t, "4_3", source_dir=src).solve()
        .insert_after("filters-to-matrix", """
            # reshape の練習
            W = np.arange(24).reshape(2, 3, 2, 2)
            print(W.reshape(3, 3))
            """),
        Sample(t, "4_4", "4_4 (1).ipynb", src).solve().drop_grader_metadata(),
        Sample(t, "4_5", source_dir=src).solve()
        .insert_after("convolution-layer", """
            layer = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1))
            print(layer.dW.shape)  # 勾配の形を見たい
            """),
        Sample(t, "4_6", source_dir=src).solve(),
    ]


TRAINEES = (sato, suzuki, takahashi, tanaka, watanabe, yamamoto)


# ================================================================ 4_10, the Katakana group work

def groupwork(trainee: str, src: Path, epochs: int, mine: dict | None = None, lr: float = 0.003,
              n_images: int = 10000) -> Sample:
    """A trainee's 4_10, trained for ``epochs`` (the source: 5) on the first ``n_images`` training
    images (the source: all 14,400) with a larger learning rate (the source: 0.001), so that it
    runs in seconds."""
    return (Sample(trainee, "4_10", source_dir=src).solve(mine)
            .insert_after("load-data", f"x_train, t_train = x_train[:{n_images}], t_train[:{n_images}]  # 時間短縮のため")
            .edit("train", "max_epochs = 5", f"max_epochs = {epochs}  # 時間短縮のため")
            .edit("train", "learning_rate = 0.001", f"learning_rate = {lr}  # エポックを減らしたぶん大きく"))


_AUGMENT_SHUFFLED = """
x = random_rotate(x, 15, 15, rng)
x = random_shift(x, 2, 2, rng)
return x[rng.permutation(len(x))]  # 順番もシャッフルしておく
"""
_AUGMENT_RADIANS = """
angle = np.deg2rad(20)  # 20 度
return random_rotate(x, angle, angle, rng)
"""
GROUPWORK = {  # trainee -> their 4_10 (4_10 samples are added to the trainee's other notebooks)
    # 佐藤: the course's augmentation, 1 epoch
    "t01_sato": lambda src: groupwork("t01_sato", src, 1),
    # 鈴木: defines augment but trains without it
    "t02_suzuki": lambda src: groupwork("t02_suzuki", src, 1).edit(
        "train", "x_batch = augment(x_train[batch], rng).astype(np.float32)  # 画像だけを拡張する",
        "x_batch = x_train[batch]  # 拡張なしで学習 (あとで試す)"),
    # 高橋: augments the test set too (the grader's hidden set is untouched: full marks)
    "t03_takahashi": lambda src: groupwork("t03_takahashi", src, 1).insert_after(
        "augment", "x_test = augment(x_test, np.random.default_rng(0))  # テストデータも拡張しておく"),
    # 田中: shuffles the batch inside augment (images and labels come apart)
    "t04_tanaka": lambda src: groupwork("t04_tanaka", src, 1, {"augment": _AUGMENT_SHUFFLED}),
    # 山本: gives random_rotate (degrees) an angle in radians: nearly no augmentation
    "t06_yamamoto": lambda src: groupwork("t06_yamamoto", src, 1, {"augment": _AUGMENT_RADIANS}),
}


# ================================================================ 4_8 and 4_9, data augmentation

_ROTATE_CLOCKWISE = """
N, C, H, W = x.shape
angles = np.broadcast_to(np.asarray(angle, dtype=np.float64), (N,))
cr, cc = (H - 1) / 2, (W - 1) / 2
dr, dc = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc, indexing="ij")
out = np.empty(x.shape, dtype=_float_dtype(x))
for n in range(N):
    t = np.deg2rad(angles[n])
    rows = cr - np.sin(t) * dc + np.cos(t) * dr  # 数学の回転の式をそのまま (行は下向きなので時計回りになる)
    cols = cc + np.sin(t) * dr + np.cos(t) * dc
    out[n] = bilinear_sample(x[n], rows, cols, fill)
return out
"""
_ROTATE_RADIANS = _ROTATE_CLOCKWISE.replace(
    "    t = np.deg2rad(angles[n])", "    t = angles[n]  # 角度をそのまま").replace(
    "    rows = cr - np.sin(t) * dc + np.cos(t) * dr  # 数学の回転の式をそのまま (行は下向きなので時計回りになる)\n"
    "    cols = cc + np.sin(t) * dr + np.cos(t) * dc", "    rows = cr + np.cos(t) * dr + np.sin(t) * dc\n"
    "    cols = cc - np.sin(t) * dr + np.cos(t) * dc")
_FLIP_LR_ROWS = """
return np.flip(x, axis=2)  # 横方向のつもり
"""
_NOISE_UNCLIPPED = """
return x + rng.normal(mean, std, size=x.shape)
"""
_FLOW_LABELS_APART = """
if rng is None:
    rng = np.random.default_rng()
n = len(x)
order = rng.permutation(n) if shuffle else np.arange(n)
labels = None if y is None else np.asarray(y)[rng.permutation(n) if shuffle else np.arange(n)]  # ラベルも混ぜる
for start in range(0, n, batch_size):
    idx = order[start:start + batch_size]
    batch_x = np.stack([apply_transform(x[i], random_transform_params(rng, img_shape=x.shape[1:], **params),
                                       fill_mode=fill_mode, cval=cval) for i in idx])
    if y is None:
        yield batch_x
    else:
        yield batch_x, labels[start:start + batch_size]
"""


def augmentation(trainee: str, src: Path, exercise: str, file_name: str | None = None, mine: dict | None = None,
                 todo: tuple = (), edits: tuple = ()) -> Sample:
    """A trainee's 4_8 or 4_9: the course's solution but for ``mine``/``todo`` and ``edits``
    ``(cell id, old, new)`` (a one-line slip inside a solution)."""
    sample = Sample(trainee, exercise, file_name, src).solve(mine, todo)
    for cell_id, old, new in edits:
        sample.edit(cell_id, old, new)
    return sample


AUGMENTATION = {  # trainee -> their 4_8 and 4_9 (added to the trainee's other notebooks)
    # 佐藤: both right
    "t01_sato": lambda src: [augmentation("t01_sato", src, "4_8"), augmentation("t01_sato", src, "4_9")],
    # 鈴木: rotates with the textbook formula (clockwise on screen); flow shuffles the labels on their own
    "t02_suzuki": lambda src: [
        augmentation("t02_suzuki", src, "4_8", "suzuki_4_8.ipynb", {"rotate": _ROTATE_CLOCKWISE}),
        augmentation("t02_suzuki", src, "4_9", "suzuki_4_9.ipynb", {"flow": _FLOW_LABELS_APART})],
    # 高橋: flips the rows for left-right; tx and ty swapped in the matrix
    "t03_takahashi": lambda src: [
        augmentation("t03_takahashi", src, "4_8", mine={"flip_left_right": _FLIP_LR_ROWS}),
        augmentation("t03_takahashi", src, "4_9", edits=((
            "apply-affine-transform", "S = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])",
            "S = np.array([[1, 0, ty], [0, 1, tx], [0, 0, 1]])"),))],
    # 田中: degrees straight into np.cos / np.sin; no 4_9
    "t04_tanaka": lambda src: [augmentation("t04_tanaka", src, "4_8", mine={"rotate": _ROTATE_RADIANS})],
    # 渡辺: random_erasing not written; Keras' zoom inverted (1 / zx)
    "t05_watanabe": lambda src: [
        augmentation("t05_watanabe", src, "4_8", todo=("random_erasing",)),
        augmentation("t05_watanabe", src, "4_9", edits=((
            "apply-affine-transform", "Z = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])",
            "Z = np.array([[1 / zx, 0, 0], [0, 1 / zy, 0], [0, 0, 1]])"),))],
    # 山本: noise not clipped; tx drawn from width_shift_range (the names read naturally, unlike Keras)
    "t06_yamamoto": lambda src: [
        augmentation("t06_yamamoto", src, "4_8", mine={"gaussian_noise": _NOISE_UNCLIPPED}),
        augmentation("t06_yamamoto", src, "4_9", edits=((
            "random-transform-params",
            "tx = _draw_shift(rng, height_shift_range, img_shape[0]) if has_h else 0  # Keras: tx は高さ方向の範囲から\n"
            "    ty = _draw_shift(rng, width_shift_range, img_shape[1]) if has_w else 0",
            "tx = _draw_shift(rng, width_shift_range, img_shape[1]) if has_w else 0\n"
            "    ty = _draw_shift(rng, height_shift_range, img_shape[0]) if has_h else 0"),))],
}


def build_samples(source_dir: Path = SOURCE_DIR) -> dict[str, list[Sample]]:
    """Every trainee's samples, keyed by the trainee's folder name."""
    out = {}
    for trainee in TRAINEES:
        samples = trainee(Path(source_dir))
        out[samples[0].trainee] = samples + ([GROUPWORK[samples[0].trainee](Path(source_dir))]
                                             if samples[0].trainee in GROUPWORK else [])
        out[samples[0].trainee] += AUGMENTATION.get(samples[0].trainee, lambda src: [])(Path(source_dir))
    return out


def write_samples(out_dir: Path, source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Write every sample notebook under ``out_dir/<trainee>/``, replacing the notebooks that
    were there; returns the written paths."""
    written = []
    for trainee, samples in build_samples(source_dir).items():
        folder = Path(out_dir) / trainee
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
        for sample in samples:
            nb = sample.notebook()
            exercise_id(nb, Path(sample.file_name))  # the grader must be able to tell the exercise
            path = folder / sample.file_name
            path.write_bytes(write_notebook_bytes(nb))
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for written_path in write_samples(target):
        print(f"wrote {written_path}")
