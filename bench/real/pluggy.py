"""pluggy workload: a host application with plugins, as pytest, tox or datasette use it.

Declares hook specifications (plain, firstresult, historic, with wrappers), registers a
dozen plugins implementing them (old- and new-style wrappers, tryfirst / trylast), calls
the hooks many times, and registers / unregisters plugins on the way.
"""

import time

import pluggy

hookspec = pluggy.HookspecMarker("app")
hookimpl = pluggy.HookimplMarker("app")


class Spec:
    @hookspec
    def app_process(self, item, config):
        """Each plugin may return a value for the item."""

    @hookspec(firstresult=True)
    def app_resolve(self, name):
        """The first plugin knowing the name answers."""

    @hookspec(historic=True)
    def app_configure(self, config):
        """Told to every plugin, also to those registered later."""

    @hookspec
    def app_collect(self, path, parent):
        """Collect things under path."""


def make_plugin(i):
    class Plugin:
        seen = 0

        @hookimpl(tryfirst=(i % 5 == 0), trylast=(i % 7 == 0))
        def app_process(self, item, config):
            self.seen += 1
            return (i, item) if item % (i + 2) == 0 else None

        @hookimpl
        def app_resolve(self, name):
            return f"plugin{i}:{name}" if hash(name) % 12 == i else None

        @hookimpl
        def app_configure(self, config):
            config.setdefault("plugins", []).append(i)

        if i % 3 == 0:
            @hookimpl(wrapper=True)
            def app_collect(self, path, parent):
                result = yield
                return [*result, f"w{i}:{path}"]
        elif i % 3 == 1:
            @hookimpl(hookwrapper=True)
            def app_collect(self, path, parent):
                outcome = yield
                outcome.get_result()
        else:
            @hookimpl
            def app_collect(self, path, parent):
                return f"{parent}/{path}#{i}"

    Plugin.__name__ = f"Plugin{i}"
    return Plugin()


def main():
    t0 = time.perf_counter()
    pm = pluggy.PluginManager("app")
    pm.add_hookspecs(Spec)
    config = {}
    pm.hook.app_configure.call_historic(kwargs={"config": config})
    plugins = [make_plugin(i) for i in range(12)]
    for p in plugins:
        pm.register(p)
    total = 0
    for item in range(160000):
        total += len(pm.hook.app_process(item=item, config=config))
    resolved = sum(pm.hook.app_resolve(name=f"n{k}") is not None for k in range(80000))
    collected = 0
    for k in range(60000):
        collected += len(pm.hook.app_collect(path=f"p{k}", parent="root"))
    churn = 0
    for k in range(1600):
        extra = make_plugin(100 + k % 10)
        pm.register(extra, name=f"extra{k}")
        churn += len(pm.hook.app_process(item=k, config=config))
        pm.unregister(name=f"extra{k}")
    subset = pm.subset_hook_caller("app_process", remove_plugins=plugins[:4])
    total += sum(len(subset(item=k, config=config)) for k in range(40000))
    print(f"process {total} resolved {resolved} collected {collected} churn {churn} "
          f"configured {len(config['plugins'])} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
