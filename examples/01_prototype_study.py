"""The prototype notebook's study, on morsenet's public API: narrow networks cannot enclose the disk.

Three networks learn the disk-inside-ring data: the width-2, depth-15 MLP, the same with a width-1 bottleneck,
and a shallow width-3 MLP (all tanh with BatchNorm, retried until 95% test accuracy, as in the prototype). For
each we draw the loss, the decision boundary, the singular values of the input Jacobian, the weights, and the
training evolution. The width-2 networks leave a tunnel of blue through the orange ring; the width-3 one can
close the ring around a minimum.

Run as a script (figures go to --out, default runs/example-01; nothing else is written):
    python examples/01_prototype_study.py [--quick] [--out DIR]
Or cell by cell ("# %%", e.g. in VS Code or Jupyter with jupytext): figures then display inline. Arguments are
read with parse_known_args at the top, not in a main(), so that the cells run as they are in a notebook.
"""

# %% Settings
import argparse
import copy
from pathlib import Path

import matplotlib.pyplot as plt

from morsenet import get_dataset
from morsenet.analysis import jacobian_grid, prediction_grid, training_snapshots, weight_spectra
from morsenet.plotting import (
    animate_snapshots,
    plot_comparison,
    plot_dataset,
    plot_decision_boundary,
    plot_loss,
    plot_singular_value_map,
    plot_snapshots,
    plot_surface,
    plot_weight_heatmaps,
    plot_weight_spectra,
    save_figure,
)
from morsenet.training import TrainConfig, train

parser = argparse.ArgumentParser(description="The prototype's study on morsenet's public API.")
parser.add_argument("--quick", action="store_true", help="tiny data and a few epochs (a smoke test)")
parser.add_argument(
    "--out", default="runs/example-01", help="folder for the figures, the only place written (default: runs/example-01)"
)
args, _ = parser.parse_known_args()  # known args only: a notebook kernel passes its own
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)

n_samples, epochs, every, grid = (300, 4, 2, 60) if args.quick else (2000, 300, 25, 200)
config = TrainConfig(
    epochs=epochs, lr=0.01, batch_size=128, patience=100, threshold=0.95, max_attempts=1 if args.quick else 10
)

# %% The data: a disk (class 0, blue) inside a ring (class 1, orange)
data = get_dataset("circles", n_samples=n_samples, seed=0)
box = data.box(0.2)
plot_dataset(data)
save_figure(plt.gcf(), out / "data")

# %% Train the prototype's three networks, keeping a snapshot every `every` epochs
models = {
    "width 2, depth 15": {"kind": "mlp", "width": 2, "depth": 15, "batchnorm": True},
    "bottleneck": {"kind": "mlp", "width": 2, "depth": 15, "bottleneck": True, "batchnorm": True},
    "width 3, depth 2": {"kind": "mlp", "width": 3, "depth": 2, "batchnorm": True},
}
results, snapshots = {}, {}
for name, model_config in models.items():
    saved = snapshots.setdefault(name, {})

    def factory(seed, saved=saved):  # one record per attempt; we keep the kept attempt's
        record = saved.setdefault(seed, ([], []))
        return lambda epoch, model, history: (
            (epoch + 1) % every == 0
            and (record[0].append(epoch + 1) or record[1].append(copy.deepcopy(model.state_dict())))
        )

    results[name] = train(model_config, data, config, seed=0, callback_factory=factory)
    print(f"{name}: test accuracy {results[name].history.best_accuracy:.3f} (seed {results[name].seed})")

# %% Loss curves
fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.5))
for ax, (name, res) in zip(axes, results.items()):
    plot_loss(res.history, ax, title=f"loss: {name}")
save_figure(fig, out / "loss")

# %% Analyses: computed once, then drawn (the plots never evaluate a model)
analyses = {
    name: {
        "prediction": prediction_grid(res.model, box, grid),
        "hidden": jacobian_grid(res.model, box, grid // 2, layer=res.model.n_layers),
        "spectra": weight_spectra(res.model),
    }
    for name, res in results.items()
}

# %% Side by side: decision boundary, min and max singular values of the last hidden layer, weight SVs
rows = {
    name: {
        "decision_boundary": (a["prediction"], {"data": data}),
        "min_singular_value": a["hidden"],
        "max_singular_value": a["hidden"],
        "weight_spectra": a["spectra"],
    }
    for name, a in analyses.items()
}
fig = plot_comparison(rows, ["decision_boundary", "min_singular_value", "max_singular_value", "weight_spectra"])
save_figure(fig, out / "comparison")

# %% The blue tunnel through the orange ring, in 3-D, and the weights of the wide model
plot_surface(analyses["width 2, depth 15"]["prediction"], data=data)
save_figure(plt.gcf(), out / "surface")
plot_weight_heatmaps(analyses["width 3, depth 2"]["spectra"])
save_figure(plt.gcf(), out / "heatmaps")
plot_weight_spectra(analyses["width 2, depth 15"]["spectra"], log=False)
save_figure(plt.gcf(), out / "weight_spectra_linear")
plot_singular_value_map(jacobian_grid(results["width 3, depth 2"].model, box, grid // 2))  # |grad f|: 0 at the minimum
save_figure(plt.gcf(), out / "gradient_norm")

# %% Training evolution of the bottleneck model: grid figure and animated GIF
res = results["bottleneck"]
epochs_kept, states = snapshots["bottleneck"][res.seed]
evolution = training_snapshots(res.model.config(), epochs_kept, states, box=box, resolution=grid // 2)
save_figure(plot_snapshots(evolution, data=data), out / "evolution")
animate_snapshots(evolution, out / "evolution.gif", data=data)

# %% The final decision boundary of the bottleneck model with the test points
plot_decision_boundary(analyses["bottleneck"]["prediction"], data=data, title="bottleneck model")
save_figure(plt.gcf(), out / "decision_boundary_bottleneck")
print(f"figures written to {out}/")
