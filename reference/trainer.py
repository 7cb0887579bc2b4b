"""Mini-batch training with per-epoch evaluation; the history comes back as data."""
from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Trainer", "EpochRecord", "History"]


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    loss: float  # mean training loss over the epoch's mini-batches
    train_acc: float  # on the evaluation sample of the training set
    test_acc: float
    seconds: float  # training time of the epoch, evaluation excluded


@dataclass
class History:
    epochs: list[EpochRecord] = field(default_factory=list)
    iteration_losses: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"epochs": [asdict(e) for e in self.epochs], "iteration_losses": list(self.iteration_losses)}


class Trainer:
    """Train ``network`` (anything with ``params``, ``loss_and_gradient`` or ``gradient``, and
    ``accuracy``) with ``optimizer`` for ``epochs`` passes over shuffled mini-batches.

    After every epoch the accuracy is measured on ``eval_train_size`` training images (all
    when ``None``) and on the whole test set. No forward pass is made beyond the one each
    gradient needs: the epoch's loss is the mean of the mini-batch losses. ``progress``:
    show a tqdm bar (default: when stderr is a terminal); ``log``: called with a line per epoch;
    ``lr_decay``: after every epoch the optimizer's ``lr`` is multiplied by it (1: unchanged).
    """

    def __init__(self, network, optimizer, x_train, t_train, x_test, t_test, *, epochs: int = 5,
                 batch_size: int = 100, rng=None, eval_train_size: int | None = 10_000,
                 progress: bool | None = None, log=None, lr_decay: float = 1.0):
        if len(x_train) != len(t_train) or len(x_test) != len(t_test):
            raise ValueError("images and labels differ in length")
        if batch_size < 1 or epochs < 0:
            raise ValueError(f"batch_size must be >= 1 and epochs >= 0, got {batch_size}, {epochs}")
        if not lr_decay > 0:
            raise ValueError(f"lr_decay must be > 0, got {lr_decay}")
        self.network, self.optimizer = network, optimizer
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs, self.batch_size = epochs, batch_size
        self.rng = np.random.default_rng(rng)
        self.eval_train_size = eval_train_size
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.log = log
        self.lr_decay = lr_decay

    def _step(self, x, t) -> float:
        if hasattr(self.network, "loss_and_gradient"):
            loss, grads = self.network.loss_and_gradient(x, t)
        else:
            grads = self.network.gradient(x, t)
            loss = float("nan")
        self.optimizer.update(self.network.params, grads)
        return float(loss)

    def _batches(self):
        order = self.rng.permutation(len(self.x_train))
        for start in range(0, len(order), self.batch_size):
            idx = np.sort(order[start:start + self.batch_size])
            yield self.x_train[idx], self.t_train[idx]

    def _evaluate(self) -> tuple[float, float]:
        n = len(self.x_train) if self.eval_train_size is None else min(self.eval_train_size, len(self.x_train))
        train_acc = self.network.accuracy(self.x_train[:n], self.t_train[:n])
        return train_acc, self.network.accuracy(self.x_test, self.t_test)

    def fit(self) -> History:
        from tqdm import tqdm

        history = History()
        n_batches = -(-len(self.x_train) // self.batch_size)
        for epoch in range(1, self.epochs + 1):
            losses = []
            start = time.perf_counter()
            bar = tqdm(self._batches(), total=n_batches, desc=f"epoch {epoch}/{self.epochs}",
                       disable=not self.progress, leave=False)
            for x, t in bar:
                losses.append(self._step(x, t))
                if len(losses) % 20 == 0:
                    bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
            seconds = time.perf_counter() - start
            train_acc, test_acc = self._evaluate()
            record = EpochRecord(epoch, float(np.mean(losses)), train_acc, test_acc, seconds)
            if self.lr_decay != 1.0:
                self.optimizer.lr *= self.lr_decay
            history.epochs.append(record)
            history.iteration_losses.extend(losses)
            if self.log is not None:
                self.log(f"epoch {epoch}: loss {record.loss:.4f}  train acc {train_acc:.4f}  "
                         f"test acc {test_acc:.4f}  ({seconds:.1f} s)")
        return history
