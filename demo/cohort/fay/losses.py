# fay: wrong answers, and every test cell tagged `skip-execution` (plain nbgrader would give
# full marks for cells it skipped). Must earn nothing for the wrong answers.
import numpy as np


CELL_TAGS = {"test_nll_loss": ["skip-execution"], "test_cross_entropy": ["skip-execution"],
             "test_cross_entropy_grad": ["skip-execution"], "test_binary_cross_entropy": ["skip-execution"],
             "test_binary_cross_entropy_with_logits": ["skip-execution"], "test_kl_div": ["skip-execution"]}


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    return np.zeros(len(targets)) if reduction == "none" else 0.0


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    return np.zeros(len(targets)) if reduction == "none" else 0.0


def cross_entropy_grad(logits, targets):
    return np.zeros_like(logits)


def binary_cross_entropy(probs, targets, reduction="mean"):
    return np.abs(probs - targets)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    return np.abs(logits - targets)


def kl_div(log_q, p, reduction="batchmean"):
    return np.zeros_like(p)
