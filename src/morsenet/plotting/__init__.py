"""Figures: each takes a result object (and an optional matplotlib Axes) and draws it; nothing is computed here.

matplotlib is imported inside this package only. Functions that create their own figure use pyplot, so the
figure shows inline in a notebook; pass `ax=` (or `pyplot=False`) to draw into figures you manage.
"""

from ._animation import animate_snapshots as animate_snapshots
from ._curve import plot_block_derivatives as plot_block_derivatives
from ._curve import plot_curve as plot_curve
from ._curve import plot_derivative as plot_derivative
from ._escape import plot_escape as plot_escape
from ._figures import PANELS as PANELS
from ._figures import grid_spacing as grid_spacing
from ._figures import plot_comparison as plot_comparison
from ._figures import plot_snapshots as plot_snapshots
from ._figures import png_bytes as png_bytes
from ._figures import readable_fontsize as readable_fontsize
from ._figures import save_figure as save_figure
from ._flow import animate_trajectories as animate_trajectories
from ._flow import plot_flow_jacobian_maps as plot_flow_jacobian_maps
from ._flow import plot_trajectories as plot_trajectories
from ._layers import plot_layer_map as plot_layer_map
from ._layers import plot_layer_maps as plot_layer_maps
from ._layers import plot_lyapunov_map as plot_lyapunov_map
from ._layers import plot_lyapunov_maps as plot_lyapunov_maps
from ._maps import plot_decision_boundary as plot_decision_boundary
from ._maps import plot_level_sets as plot_level_sets
from ._maps import plot_probability_level_sets as plot_probability_level_sets
from ._maps import plot_singular_value_map as plot_singular_value_map
from ._maps import plot_surface as plot_surface
from ._marks import plot_critical_points as plot_critical_points
from ._marks import plot_region_outline as plot_region_outline
from ._marks import plot_ring as plot_ring
from ._marks import plot_tunnel as plot_tunnel
from ._style import CLASS_COLORS as CLASS_COLORS
from ._style import enlarge_text as enlarge_text
from ._style import legend_below as legend_below
from ._style import probability_cmap as probability_cmap
from ._sweep import plot_sweep_accuracy as plot_sweep_accuracy
from ._sweep import plot_sweep_depth as plot_sweep_depth
from ._sweep import plot_sweep_rates as plot_sweep_rates
from ._sweep import plot_sweep_ratio as plot_sweep_ratio
from ._sweep import plot_sweep_singular_values as plot_sweep_singular_values
from ._sweep import plot_sweep_tunnel_width as plot_sweep_tunnel_width
from ._three_d import plot_axis_slices as plot_axis_slices
from ._three_d import plot_decision_isosurface as plot_decision_isosurface
from ._training import plot_accuracy as plot_accuracy
from ._training import plot_dataset as plot_dataset
from ._training import plot_loss as plot_loss
from ._training import plot_loss_terms as plot_loss_terms
from ._training import plot_r1_ratio as plot_r1_ratio
from ._weights import plot_weight_eigenvalues as plot_weight_eigenvalues
from ._weights import plot_weight_heatmaps as plot_weight_heatmaps
from ._weights import plot_weight_spectra as plot_weight_spectra

__all__ = [
    "CLASS_COLORS",
    "PANELS",
    "animate_snapshots",
    "animate_trajectories",
    "enlarge_text",
    "grid_spacing",
    "legend_below",
    "plot_accuracy",
    "plot_block_derivatives",
    "plot_comparison",
    "plot_critical_points",
    "plot_curve",
    "plot_dataset",
    "plot_axis_slices",
    "plot_decision_boundary",
    "plot_decision_isosurface",
    "plot_derivative",
    "plot_escape",
    "plot_flow_jacobian_maps",
    "plot_layer_map",
    "plot_layer_maps",
    "plot_level_sets",
    "plot_loss",
    "plot_lyapunov_map",
    "plot_lyapunov_maps",
    "plot_region_outline",
    "plot_ring",
    "plot_singular_value_map",
    "plot_snapshots",
    "plot_surface",
    "plot_trajectories",
    "plot_sweep_accuracy",
    "plot_sweep_depth",
    "plot_sweep_rates",
    "plot_sweep_singular_values",
    "plot_sweep_tunnel_width",
    "plot_tunnel",
    "plot_weight_heatmaps",
    "plot_weight_spectra",
    "png_bytes",
    "probability_cmap",
    "readable_fontsize",
    "save_figure",
    "plot_probability_level_sets",
    "plot_sweep_ratio",
    "plot_loss_terms",
    "plot_r1_ratio",
    "plot_weight_eigenvalues",
]
