"""fcn_plugin's registries: children of mmseg's, scope ``fcn_plugin``.

The plugin's classes register into mmseg's own registries (the configs say
``default_scope = 'mmseg'``). A config that inherits a row through
``fcn_plugin::`` gets every ``type`` of it marked ``_scope_='fcn_plugin'``
by mmengine, which then imports ``fcn_plugin.registry`` and builds from the
registry of that scope. These children hold nothing of their own: each
finds everything its mmseg parent has (mmseg's and the plugin's classes).
"""
from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

_children = {  # locations: what mmengine imports to fill them (this package)
    name: Registry(parent.name, parent=parent, scope='fcn_plugin',
                   locations=['fcn_plugin'])
    for name, parent in vars(mmseg_registry).items()
    if isinstance(parent, Registry)
}
globals().update(_children)  # MODELS, DATASETS, TRANSFORMS, ... as mmseg's
__all__ = sorted(_children)
