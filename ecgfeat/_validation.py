"""Parameter validation for ecgfeat's estimators, in scikit-learn's pattern: each estimator declares
``_parameter_constraints`` (parameter → list of allowed types, ``Interval``/``StrOptions`` ranges, ``None``,
``"random_state"``, ``"array-like"`` …) and calls :func:`validate_params` at the start of ``fit``.

The constraint types are scikit-learn's own (``sklearn.utils._param_validation``, pinned with scikit-learn in
setup.cfg), so error messages read exactly like scikit-learn's and ``sklearn.utils.estimator_checks.
check_param_validation`` can test every ecgfeat estimator. The error is also an :class:`~ecgfeat.exceptions.
ConfigError`, so the command line reports it in one line.
"""
from __future__ import annotations

from numbers import Integral, Real

from sklearn.utils._param_validation import InvalidParameterError as _SklearnInvalidParameterError
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints

from .exceptions import ConfigError

__all__ = ["Integral", "Interval", "InvalidParameterError", "Real", "StrOptions", "validate_params"]


class InvalidParameterError(ConfigError, _SklearnInvalidParameterError):
    """An estimator parameter has a type or value outside its declared constraints."""


def validate_params(estimator) -> None:
    """Check ``estimator.get_params(deep=False)`` against ``estimator._parameter_constraints``.

    Raises :class:`InvalidParameterError`: "The 'p' parameter of Est must be … Got … instead."
    """
    try:
        validate_parameter_constraints(estimator._parameter_constraints, estimator.get_params(deep=False),
                                       caller_name=type(estimator).__name__)
    except _SklearnInvalidParameterError as exc:
        raise InvalidParameterError(str(exc)) from None
