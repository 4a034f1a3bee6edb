"""Analyses of trained models: they compute and return result dataclasses of tensors; they never plot."""

# The foundation: boxes, grids, default resolutions and chunked evaluation (_grid), float64 scalar fields and
# what analyses read off a model (_scalar_field), connected components (_components).
# Jacobians, weight spectra, predictions, training evolution (_jacobian, _spectra, _prediction, _evolution).
from ._evolution import TrainingSnapshot as TrainingSnapshot
from ._evolution import training_snapshots as training_snapshots
from ._grid import Box as Box
from ._grid import grid_axes as grid_axes
from ._grid import grid_points as grid_points
from ._jacobian import JacobianGrid as JacobianGrid
from ._jacobian import jacobian_grid as jacobian_grid
from ._jacobian import singular_values as singular_values
from ._prediction import PredictionCurve as PredictionCurve
from ._prediction import PredictionGrid as PredictionGrid
from ._prediction import prediction_curve as prediction_curve
from ._prediction import prediction_grid as prediction_grid
from ._spectra import BlockJacobians as BlockJacobians
from ._spectra import LayerSpectrum as LayerSpectrum
from ._spectra import WeightSpectra as WeightSpectra
from ._spectra import block_jacobian_eigenvalues as block_jacobian_eigenvalues
from ._spectra import weight_spectra as weight_spectra

__all__ = [
    "BlockJacobians",
    "Box",
    "JacobianGrid",
    "LayerSpectrum",
    "PredictionCurve",
    "PredictionGrid",
    "TrainingSnapshot",
    "WeightSpectra",
    "block_jacobian_eigenvalues",
    "grid_axes",
    "grid_points",
    "jacobian_grid",
    "prediction_curve",
    "prediction_grid",
    "singular_values",
    "training_snapshots",
    "weight_spectra",
]

# Critical points (_critical_points: search; _refinement, _local_checks, _gradient_floor, _continua,
# _critical_result, _winding), decision regions (_regions), tunnel test (_topology; _circles, _tunnel_result),
# theory versus measurement (_assessment).
from ._assessment import Assessment as Assessment
from ._assessment import assess_model as assess_model
from ._critical_points import CriticalPoint as CriticalPoint
from ._critical_points import CriticalPointSearch as CriticalPointSearch
from ._critical_points import find_critical_points as find_critical_points
from ._critical_points import winding_number as winding_number
from ._topology import DecisionRegions as DecisionRegions
from ._topology import Region as Region
from ._topology import TunnelAnalysis as TunnelAnalysis
from ._topology import decision_regions as decision_regions
from ._topology import label_components as label_components
from ._topology import tunnel_analysis as tunnel_analysis

__all__ += [
    "Assessment",
    "CriticalPoint",
    "CriticalPointSearch",
    "DecisionRegions",
    "Region",
    "TunnelAnalysis",
    "assess_model",
    "decision_regions",
    "find_critical_points",
    "label_components",
    "tunnel_analysis",
    "winding_number",
]
