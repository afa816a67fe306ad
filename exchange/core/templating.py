"""Jinja's template context, with calls to plain functions and methods made directly."""

from __future__ import annotations

from types import BuiltinFunctionType, BuiltinMethodType, FunctionType, MethodType

from flask import Flask
from jinja2.runtime import Context
from jinja2.utils import _PassArg

DIRECT_TYPES = frozenset({FunctionType, MethodType, BuiltinFunctionType, BuiltinMethodType})
STOP_ITERATION = "value was undefined because a callable raised a StopIteration exception"


class TemplateContext(Context):
    """``Context.call`` with a shorter way for functions and methods.

    Every call in a template (``url_for``, ``_()``, the policy helpers, macros) goes through
    ``Context.call``, which inspects the callable twice (its ``__call__``, then itself) for
    Jinja's ``pass_*`` markers: some 50 calls a page. For a function or a method, whose
    ``__call__`` can carry no marker, one look-up of the marker is enough; the result is the
    same as Jinja's (also for ``pass_eval_context``, the templates' gettext). Anything else
    (macros, callable objects, ``pass_context`` and ``pass_environment`` functions) goes
    through Jinja's own ``call``.
    """

    def call(__self, __obj, *args, **kwargs):
        if type(__obj) not in DIRECT_TYPES:
            return Context.call(__self, __obj, *args, **kwargs)
        pass_arg = getattr(__obj, "jinja_pass_arg", None)
        if pass_arg is _PassArg.eval_context:
            args = (__self.eval_ctx, *args)
        elif pass_arg is not None:
            return Context.call(__self, __obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(STOP_ITERATION)


def install_template_context(app: Flask) -> None:
    """Render the app's templates with ``TemplateContext``."""
    app.jinja_env.context_class = TemplateContext
