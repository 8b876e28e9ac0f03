"""fcn_plugin's registries: children of mmseg's, scope ``fcn_plugin``.

The plugin's classes register into mmseg's own registries (the configs say
``default_scope = 'mmseg'``). A config that inherits a row through
``fcn_plugin::`` gets every ``type`` of it marked ``_scope_='fcn_plugin'``
by mmengine, which then imports ``fcn_plugin.registry`` and builds from the
registry of that scope. These children hold nothing of their own: each
finds everything its mmseg parent has (mmseg's and the plugin's classes).
A child imports its parent's locations too (``mmseg.visualization`` for
the visualizers, ...): mmengine imports only the searched registry's
locations before walking up to the parents, so without them a class that
only mmseg's own import registers (SegLocalVisualizer) is not found.
"""
from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

_children = {  # locations: what mmengine imports to fill them (this package)
    name: Registry(parent.name, parent=parent, scope='fcn_plugin',
                   locations=['fcn_plugin', *parent._locations])
    for name, parent in vars(mmseg_registry).items()
    if isinstance(parent, Registry)
}
globals().update(_children)  # MODELS, DATASETS, TRANSFORMS, ... as mmseg's
__all__ = sorted(_children)


def default_to_mmseg_scope():
    """Make ``mmseg`` the default scope when nothing has set one, as
    ``mmseg.utils.register_all_modules()`` does: a row built straight from
    its config (``MODELS.build(get_config('fcn_plugin::fcn/<row>.py')
    .model)``) then finds mmseg's parts (its data preprocessor is built
    through mmengine's root registry) after ``import fcn_plugin`` alone. A
    scope already set (a runner's, another package's) is left as it is."""
    from mmengine.registry import DefaultScope
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('fcn_plugin', scope_name='mmseg')
