# isobench fleet's stdout callback: one readable line per host and task on stdout (the fleet's ansible.log), and one
# JSON event per line appended to $ISOBENCH_FLEET_EVENTS, which `isobench fleet` reads for its per-host progress.
from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
  name: isobench_fleet
  type: stdout
  short_description: per-host JSON events for isobench fleet
  description:
    - Writes one JSON object per line to the file named by ISOBENCH_FLEET_EVENTS and a short line per event on stdout.
'''

# a failed command's output can be long: the last lines say why
TAIL_CHARS = 2000


def _tail(text):
    if not isinstance(text, str):
        return ''
    return text[-TAIL_CHARS:]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'isobench_fleet'

    def __init__(self):
        super().__init__()
        self._events = os.environ.get('ISOBENCH_FLEET_EVENTS')

    def _emit(self, event, host=None, task=None, **fields):
        record = {'event': event, 'time': round(time.time(), 3)}
        if host is not None:
            record['host'] = host
        if task is not None:
            record['task'] = task
        record.update(fields)
        line = json.dumps(record, default=str, sort_keys=True)
        if self._events:
            # one write per event, appended: a reader never sees half a line it cannot tell apart
            with open(self._events, 'a', encoding='utf-8') as f:
                f.write(line + '\n')
        shown = ' '.join(str(record[k]) for k in ('host', 'task') if k in record)
        detail = fields.get('msg') or ''
        self._display.display('%s %s%s' % (event, shown, (': ' + detail) if detail else ''))

    def _result_fields(self, result):
        r = result._result
        fields = {}
        msg = r.get('msg')
        if isinstance(msg, str) and msg:
            fields['msg'] = msg
        if 'rc' in r:
            fields['rc'] = r.get('rc')
        if 'finished' in r:
            fields['finished'] = r.get('finished')
        if r.get('stderr'):
            fields['stderr'] = _tail(r.get('stderr'))
        if r.get('stdout'):
            fields['stdout'] = _tail(r.get('stdout'))
        return fields

    def v2_playbook_on_start(self, playbook):
        self._emit('playbook-start')

    def v2_runner_on_start(self, host, task):
        self._emit('start', host.get_name(), task.get_name())

    def v2_runner_on_ok(self, result):
        fields = {}
        # a command's own duration on the host (the measuring time isobench reports), not the task's wall time
        if isinstance(result._result.get('delta'), str):
            fields['delta'] = result._result.get('delta')
        self._emit('ok', result._host.get_name(), result._task.get_name(), changed=bool(result._result.get('changed')), **fields)

    def v2_runner_on_skipped(self, result):
        self._emit('skipped', result._host.get_name(), result._task.get_name())

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._emit('failed', result._host.get_name(), result._task.get_name(), ignored=bool(ignore_errors), **self._result_fields(result))

    def v2_runner_on_unreachable(self, result):
        self._emit('unreachable', result._host.get_name(), result._task.get_name(), **self._result_fields(result))

    def v2_runner_on_async_poll(self, result):
        self._emit('poll', result._host.get_name(), result._task.get_name())

    def v2_runner_on_async_failed(self, result):
        self._emit('failed', result._host.get_name(), result._task.get_name(), **self._result_fields(result))

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for h in sorted(stats.processed.keys()):
            hosts[h] = stats.summarize(h)
        self._emit('stats', hosts=hosts)
