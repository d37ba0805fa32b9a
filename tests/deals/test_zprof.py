import time, pytest, collections
from io import StringIO
from django.core.management import call_command
from django.db import connection
from deals.demo import demo_deals_seed

@pytest.mark.django_db
def test_prof():
    call_command("seed_demo", "--partners", "200", "--seed", "7", stdout=StringIO())
    call_command("seed_demo_segments", stdout=StringIO())
    stats = collections.defaultdict(lambda: [0, 0.0])
    def wrap(execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            s = stats[sql[:90]]; s[0] += 1; s[1] += time.perf_counter() - t
    t=time.perf_counter()
    with connection.execute_wrapper(wrap):
        r=demo_deals_seed(seed=7)
    print("deals", time.perf_counter()-t, r)
    for k, (n, s) in sorted(stats.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"{s:7.2f}s {n:5d} {k}")
