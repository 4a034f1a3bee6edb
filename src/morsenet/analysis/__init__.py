"""Analyses of trained models: they compute and return result dataclasses of tensors; they never plot."""

# The foundation: boxes, grids, default resolutions and chunked evaluation (_grid), float64 scalar fields and
# what analyses read off a model (_scalar_field), connected components (_components).
# Jacobians, weight spectra, predictions, training evolution (_jacobian, _spectra, _prediction, _evolution).
from ._assessment import Assessment as Assessment
from ._assessment import assess_model as assess_model
from ._cells import CellSettings as CellSettings
from ._certificates import Certificate as Certificate
from ._critical_points import CriticalPoint as CriticalPoint
from ._critical_points import CriticalPointSearch as CriticalPointSearch
from ._critical_points import find_critical_points as find_critical_points
from ._critical_points import winding_number as winding_number
from ._critical_result import Plateau as Plateau
from ._critical_result import UnresolvedCell as UnresolvedCell
from ._escape import EscapeAnalysis as EscapeAnalysis
from ._escape import escape_analysis as escape_analysis
from ._evolution import TrainingSnapshot as TrainingSnapshot
from ._evolution import training_snapshots as training_snapshots
from ._exact_field import ProductSpectrum as ProductSpectrum
from ._exact_field import product_spectrum_of as product_spectrum_of
from ._flow import FlowJacobianMaps as FlowJacobianMaps
from ._flow import FlowTrajectories as FlowTrajectories
from ._flow import default_intervals as default_intervals
from ._flow import flow_jacobian_maps as flow_jacobian_maps
from ._flow import trajectories as trajectories
from ._frame import GeometryFrame as GeometryFrame
from ._frame import geometry_frame as geometry_frame
from ._grid import Box as Box
from ._grid import grid_axes as grid_axes
from ._grid import grid_points as grid_points
from ._jacobian import JacobianGrid as JacobianGrid
from ._jacobian import jacobian_grid as jacobian_grid
from ._jacobian import singular_values as singular_values
from ._layers import LAYER_MAP_KINDS as LAYER_MAP_KINDS
from ._layers import LayerFunctions as LayerFunctions
from ._layers import LayerMap as LayerMap
from ._layers import choose_layers as choose_layers
from ._layers import eigenvalue_maps as eigenvalue_maps
from ._layers import layer_functions as layer_functions
from ._layers import layer_maps as layer_maps
from ._layers import prefix_map as prefix_map
from ._layers import single_layer_map as single_layer_map
from ._layers import tail_map as tail_map
from ._lyapunov import LyapunovMap as LyapunovMap
from ._lyapunov import lyapunov_exponents as lyapunov_exponents
from ._lyapunov import lyapunov_map as lyapunov_map
from ._lyapunov import separation_exponents as separation_exponents
from ._prediction import PredictionCurve as PredictionCurve
from ._prediction import PredictionGrid as PredictionGrid
from ._prediction import prediction_curve as prediction_curve
from ._prediction import prediction_grid as prediction_grid
from ._spectra import BlockJacobians as BlockJacobians
from ._spectra import LayerSpectrum as LayerSpectrum
from ._spectra import WeightSpectra as WeightSpectra
from ._spectra import block_jacobian_eigenvalues as block_jacobian_eigenvalues
from ._spectra import weight_spectra as weight_spectra
from ._topology import DecisionRegions as DecisionRegions
from ._topology import Region as Region
from ._topology import TunnelAnalysis as TunnelAnalysis
from ._topology import decision_regions as decision_regions
from ._topology import label_components as label_components
from ._topology import tunnel_analysis as tunnel_analysis
from ._tunnel_3d import AxisSlices as AxisSlices
from ._tunnel_3d import Grid3D as Grid3D
from ._tunnel_3d import ThreeDViews as ThreeDViews
from ._tunnel_3d import Tunnel3D as Tunnel3D
from ._tunnel_3d import axis_slices as axis_slices
from ._tunnel_3d import grid_3d as grid_3d
from ._tunnel_3d import three_d_views as three_d_views
from ._tunnel_3d import tunnel_analysis_3d as tunnel_analysis_3d

__all__ = [
    "assess_model",
    "Assessment",
    "block_jacobian_eigenvalues",
    "axis_slices",
    "AxisSlices",
    "BlockJacobians",
    "Box",
    "CellSettings",
    "Certificate",
    "choose_layers",
    "CriticalPoint",
    "CriticalPointSearch",
    "decision_regions",
    "DecisionRegions",
    "eigenvalue_maps",
    "escape_analysis",
    "FlowJacobianMaps",
    "FlowTrajectories",
    "default_intervals",
    "flow_jacobian_maps",
    "trajectories",
    "EscapeAnalysis",
    "find_critical_points",
    "geometry_frame",
    "GeometryFrame",
    "grid_axes",
    "grid_3d",
    "Grid3D",
    "grid_points",
    "jacobian_grid",
    "JacobianGrid",
    "label_components",
    "layer_functions",
    "LAYER_MAP_KINDS",
    "layer_maps",
    "LayerFunctions",
    "LayerMap",
    "LayerSpectrum",
    "lyapunov_exponents",
    "lyapunov_map",
    "LyapunovMap",
    "Plateau",
    "prediction_curve",
    "prediction_grid",
    "PredictionCurve",
    "PredictionGrid",
    "prefix_map",
    "product_spectrum_of",
    "ProductSpectrum",
    "Region",
    "separation_exponents",
    "single_layer_map",
    "singular_values",
    "tail_map",
    "three_d_views",
    "ThreeDViews",
    "training_snapshots",
    "TrainingSnapshot",
    "tunnel_analysis",
    "tunnel_analysis_3d",
    "Tunnel3D",
    "TunnelAnalysis",
    "UnresolvedCell",
    "weight_spectra",
    "WeightSpectra",
    "winding_number",
]
