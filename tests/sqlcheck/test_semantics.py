"""The BigQuery functions and operators this project's SQL uses, with edge-case inputs, on both engines.

Each case is a self-contained BigQuery statement. ZetaSQL evaluates it with BigQuery's semantics; the DuckDB
backend runs it through the transpiler; the two answers must have the same column types and the same rows.
A construct that DuckDB cannot be made to answer like BigQuery is not in this table: it is documented, with
the portable form to write instead.
"""

from __future__ import annotations

import pytest

from tests.engines import bigquery_answer, describe, duckdb_answer, rows_equal
from tools.sqlcheck.zetasql import ZetaSQL

EMAIL = r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}$"

DATES = [
    ("date_add_month_end", "select date_add(date '2024-01-31', interval 1 month) as v"),
    ("date_add_leap_day_plus_year", "select date_add(date '2024-02-29', interval 1 year) as v"),
    ("date_add_negative_days", "select date_add(date '2024-03-01', interval -1 day) as v"),
    ("date_add_week_and_quarter", "select date_add(date '2026-11-25', interval 2 week) as a,"
                                  " date_add(date '2026-11-30', interval 1 quarter) as b"),
    ("date_sub_month_end", "select date_sub(date '2026-03-31', interval 1 month) as v"),
    ("date_sub_column_interval", "select date_sub(s.d, interval s.n day) as v from unnest([struct(date '2024-03-01'"
                                 " as d, 1 as n), struct(date '2025-01-01', 366)]) as s order by v"),
    ("date_diff_day_across_leap_day", "select date_diff(date '2024-03-01', date '2024-02-28', day) as v"),
    ("date_diff_week_saturday_to_sunday", "select date_diff(date '2026-01-04', date '2026-01-03', week) as a,"
                                          " date_diff(date '2026-01-10', date '2026-01-04', week) as b"),
    ("date_diff_month_boundaries", "select date_diff(date '2026-02-01', date '2026-01-31', month) as a,"
                                   " date_diff(date '2026-01-31', date '2026-01-01', month) as b,"
                                   " date_diff(date '2026-01-01', date '2026-03-15', month) as c"),
    ("date_diff_year_boundary", "select date_diff(date '2026-01-01', date '2025-12-31', year) as v"),
    ("timestamp_add_minutes", "select timestamp_add(timestamp '2026-11-25 23:50:00', interval 90 minute) as v"),
    ("timestamp_sub_hours_across_midnight", "select timestamp_sub(timestamp '2026-03-01 01:00:00',"
                                            " interval 2 hour) as v"),
    ("timestamp_diff_partial_day", "select timestamp_diff(timestamp '2026-01-02 00:00:00',"
                                   " timestamp '2026-01-01 00:00:01', day) as v"),
    ("timestamp_diff_negative_hours", "select timestamp_diff(timestamp '2026-01-01 00:00:00',"
                                      " timestamp '2026-01-02 23:59:59', hour) as v"),
    ("timestamp_diff_fractional_seconds", "select timestamp_diff(timestamp '2026-01-01 00:00:00.5',"
                                          " timestamp '2026-01-01 00:00:01', second) as v"),
    ("timestamp_diff_minutes_over_leap_day", "select timestamp_diff(timestamp '2024-03-01 00:00:00',"
                                             " timestamp '2024-02-28 23:30:00', minute) as v"),
    ("date_trunc_month", "select date_trunc(date '2024-02-29', month) as v"),
    ("date_trunc_week_of_a_sunday", "select date_trunc(date '2026-11-29', week) as v"),
    ("date_trunc_week_of_a_saturday", "select date_trunc(date '2026-11-28', week) as v"),
    ("date_trunc_isoweek_of_a_sunday", "select date_trunc(date '2026-11-29', isoweek) as v"),
    ("date_trunc_quarter_and_year", "select date_trunc(date '2026-11-25', quarter) as a,"
                                    " date_trunc(date '2026-11-25', year) as b"),
    ("date_trunc_isoyear", "select date_trunc(date '2026-01-01', isoyear) as a, date_trunc(date '2027-01-03', isoyear)"
                           " as b"),
    ("date_of_date_trunc", "select date(date_trunc(d, month)) as v from unnest([date '2026-01-31', date '2024-02-29'])"
                           " as d order by v"),
    ("timestamp_trunc_day_hour_month", "select timestamp_trunc(timestamp '2026-11-25 23:59:59.999999', day) as a,"
                                       " timestamp_trunc(timestamp '2026-11-25 10:11:12', hour) as b,"
                                       " timestamp_trunc(timestamp '2026-11-25 10:11:12', month) as c"),
    ("timestamp_trunc_week", "select timestamp_trunc(timestamp '2026-11-28 10:00:00', week) as v"),
    ("extract_day_month_year", "select extract(day from d) as a, extract(month from d) as b, extract(year from d) as c"
                               " from unnest([date '2024-02-29']) as d"),
    ("extract_dayofweek_sunday_saturday", "select extract(dayofweek from date '2026-11-29') as a,"
                                          " extract(dayofweek from date '2026-11-28') as b"),
    ("extract_week_around_new_year", "select extract(week from d) as v from unnest([date '2026-01-01',"
                                     " date '2026-01-03', date '2026-01-04', date '2026-12-31']) as d order by d"),
    ("extract_isoweek_isoyear_at_year_end", "select extract(isoweek from date '2027-01-01') as a,"
                                            " extract(isoyear from date '2027-01-01') as b"),
    ("extract_dayofyear_leap_year", "select extract(dayofyear from date '2024-12-31') as v"),
    ("extract_hour_from_timestamp", "select extract(hour from timestamp '2026-11-25 23:59:59') as v"),
    ("extract_day_of_last_day", "select extract(day from last_day(d)) as v from unnest([date '2024-02-10',"
                                " date '2025-02-10', date '2026-12-01']) as d order by d"),
    ("last_day_month_and_year", "select last_day(date '2024-02-10') as a, last_day(date '2026-02-10', year) as b"),
    ("date_of_timestamp_before_midnight", "select date(timestamp '2026-11-25 23:59:59.999999') as v"),
    ("date_and_timestamp_of_strings", "select date('2026-11-25') as a, timestamp('2026-11-25 10:00:00+02') as b"),
    ("timestamp_of_date", "select timestamp(date '2024-02-29') as v"),
    ("format_date", "select format_date('%Y-%m', date '2026-01-05') as a,"
                    " format_date('%Y-%m-%d', date '2024-02-29') as b"),
    ("generate_date_array_days", "select generate_date_array(date '2024-02-27', date '2024-03-01') as v"),
    ("generate_date_array_reversed_is_empty", "select generate_date_array(date '2024-01-05', date '2024-01-01') as v"),
    ("unnest_generate_date_array", "select d from unnest(generate_date_array(date '2025-12-30', date '2026-01-02'))"
                                   " as d order by d"),
    ("cast_date_and_timestamp_to_string", "select cast(date '2024-02-29' as string) as a,"
                                          " cast(timestamp '2026-01-01 10:00:00.123456' as string) as b,"
                                          " cast(timestamp '2026-01-01 10:00:00' as string) as c"),
]

STRINGS = [
    ("lower_upper", "select lower('ÄBC Éa') as a, upper('éclair 1') as b"),
    ("trim_white_space", r"select trim('\t x y \n') as a, ltrim('  a ') as b, rtrim(' a \r\n') as c"),
    ("trim_characters", "select trim('xxaxx', 'x') as a, ltrim('xya', 'xy') as b, rtrim('axy', 'yx') as c"),
    ("split", "select split('a,b,,c', ',') as a, split('', ',') as b, split('a,', ',') as c"),
    ("regexp_contains_email", f"select e, regexp_contains(e, r'{EMAIL}') as v from unnest(['a.b@x.io',"
                              " 'a@b', 'A@X.IO', 'x+y@sub.example.com', '']) as e order by e"),
    ("regexp_extract", r"select regexp_extract('key=val;k2=v2', r'k2=(\w+)') as a,"
                       r" regexp_extract('abc', r'[0-9]+') as b, regexp_extract('a12b34', r'[0-9]+') as c"),
    ("regexp_replace", r"select regexp_replace('a.b.c', r'\.', '-') as a, regexp_replace('abc', r'(b)', r'[\1]') as b"),
    ("replace", "select replace('aaa', 'a', 'bb') as a, replace('abc', '', 'x') as b, replace('abc', 'z', 'y') as c"),
    ("substr", "select substr('héllo', 2, 3) as a, substr('hello', -3) as b, substr('hello', 0, 2) as c,"
               " substr('hello', 10) as d, substr('hello', -10, 2) as e"),
    ("starts_ends_with", "select starts_with('hello', 'he') as a, ends_with('hello', 'lo') as b,"
                         " starts_with('hello', '') as c"),
    ("strpos", "select strpos('héllo', 'l') as a, strpos('hello', 'z') as b"),
    ("length_and_byte_length", "select length('héllo') as a, byte_length('héllo') as b, length('') as c"),
    ("concat_strings", "select concat('a', 'b', 'c') as a, 'a' || 'b' as b, concat('x') as c"),
    ("concat_null", "select concat('a', cast(null as string)) as a, 'a' || cast(null as string) as b"),
    ("concat_numbers", "select concat('n=', cast(7 as string), ' f=', cast(round(2.5 * 3, 2) as string)) as v"),
    ("lpad_rpad", "select lpad('7', 3, '0') as a, lpad('abcd', 2, '0') as b, rpad('a', 3, '-') as c,"
                  " lpad('7', 3) as d"),
    ("nullif_trim_empty", "select nullif(trim(s), '') as v from unnest(['  ', ' a ', '']) as s order by v"),
    ("concat_summary_idiom", "select concat('AI cost ', cast(round(cast(c as float64), 2) as string), ' USD on ',"
                             " cast(d as string), if(k = 'x', concat(':', k), '')) as v from unnest([struct("
                             "numeric '1234.5' as c, date '2026-01-31' as d, 'x' as k), struct(numeric '0.005', date"
                             " '2024-02-29', 'y')]) order by d"),
    ("lower_trim_email", r"select lower(trim(' \tAna@Example.COM ')) as v"),
]

NULLS = [
    ("coalesce", "select coalesce(cast(null as int64), 2, 3) as a, coalesce(cast(null as string), 'x') as b"),
    ("ifnull", "select ifnull(cast(null as int64), 0) as a, ifnull(5, 0) as b"),
    ("nullif", "select nullif(5, 5) as a, nullif(5, 4) as b"),
    ("sum_ignores_nulls", "select sum(x) as v from unnest([1, null, -3]) as x"),
    ("sum_of_nothing_is_null", "select sum(x) as a, count(x) as b from unnest(cast([] as array<int64>)) as x"),
    ("sum_numeric_and_float", "select sum(n) as a, sum(f) as b from unnest([struct(numeric '0.1' as n, 0.1 as f),"
                              " struct(numeric '0.2', 0.2)])"),
    ("avg_ignores_nulls", "select avg(x) as v from unnest([1, null, 2]) as x"),
    ("min_max_strings_and_nulls", "select min(x) as a, max(x) as b from unnest(['b', null, 'a']) as x"),
    ("count_column_vs_star", "select count(x) as a, count(*) as b, count(distinct x) as c"
                             " from unnest([1, null, 1, 2]) as x"),
    ("countif_with_nulls", "select countif(x > 1) as v from unnest([3, null, 1]) as x"),
    ("string_agg_skips_nulls", "select string_agg(x, ',' order by x desc) as v from unnest(['a', null, 'b']) as x"),
    ("string_agg_default_delimiter", "select string_agg(x order by x) as v from unnest(['b', 'a']) as x"),
    ("string_agg_of_nothing_is_null", "select string_agg(x, ',') as v from unnest(cast([] as array<string>)) as x"),
    ("array_agg_ignore_nulls", "select array_agg(x ignore nulls order by x) as v from unnest([3, null, 2]) as x"),
    ("any_value_having_min", "select any_value(s.v having min s.p) as v from unnest([struct('b' as v, 2 as p),"
                             " struct('a', 1), struct('c', 3)]) as s"),
    ("is_distinct_from", "select cast(null as int64) is distinct from null as a, 1 is distinct from null as b,"
                         " 1 is distinct from 1 as c"),
    ("sum_if_null", "select sum(if(s.e is null, 0, s.c)) as v from unnest([struct(numeric '1.5' as c, 'x' as e),"
                    " struct(numeric '2.5', cast(null as string))]) as s"),
    ("least_of_dates", "select least(date '2026-01-02', date '2025-12-31') as v"),
    ("group_by_ordinal_having", "select k, count(*) as c from unnest(['a', 'b', 'a']) as k group by 1"
                                " having count(*) = 2"),
    ("order_by_nulls_first_and_last", "select array_agg(x order by x) as a, array_agg(x order by x desc) as d"
                                      " from unnest([2, null, 1]) as x"),
    ("exists_correlated", "select k, exists(select 1 from unnest([1, 3]) as y where y = k) as v"
                          " from unnest([1, 2, 3]) as k order by k"),
    ("greatest_least_with_null", "select greatest(1, 3, 2) as a, least(1.5, 0.5) as b,"
                                 " greatest(1, cast(null as int64)) as c"),
]

NUMBERS = [
    ("int_division_is_float64", "select 7 / 2 as a, -7 / 2 as b, 6 / 3 as c"),
    ("div_and_mod_negative", "select div(7, 2) as a, div(-7, 2) as b, mod(-7, 2) as c, mod(7, -2) as d"),
    ("safe_divide_by_zero", "select safe_divide(1, 0) as a, safe_divide(0, 0) as b, safe_divide(5, 2) as c,"
                            " safe_divide(cast(null as int64), 1) as d"),
    ("safe_divide_numeric_by_int64", "select safe_divide(numeric '10', 4) as a, safe_divide(numeric '2', 3) as b"),
    ("safe_divide_numeric_by_numeric", "select safe_divide(numeric '1', numeric '7') as a,"
                                       " safe_divide(numeric '1', numeric '0') as b"),
    ("numeric_division_exact_to_nine_places", "select numeric '12345678901.123456789' / 3 as a,"
                                              " numeric '0.000000003' / 2 as b, numeric '-0.000000003' / 2 as c"),
    ("avg_numeric_rounds_half_away", "select avg(x) as v from unnest([numeric '0.000000001', numeric '0.000000002'])"
                                     " as x"),
    ("avg_numeric_over_window", "select x, avg(x) over (order by x rows between 1 preceding and current row) as v"
                                " from unnest([numeric '1', numeric '2', numeric '4']) as x order by x"),
    ("round_float_half_values", "select round(x, 2) as v from unnest([2.675, 1.005, 0.125, -0.125, 10.235, 8.345,"
                                " 0.045, -2.5]) as x with offset as i order by i"),
    ("round_float_to_integer", "select round(x) as v from unnest([0.5, 1.5, 2.5, -0.5, -1.5]) as x"
                               " with offset as i order by i"),
    ("round_negative_digits", "select round(1234.5678, -2) as a, round(1250, -2) as b"),
    ("round_numeric_half_values", "select round(x, 2) as v from unnest([numeric '2.675', numeric '-2.675',"
                                  " numeric '0.125', numeric '-0.005']) as x with offset as i order by i"),
    ("round_percentage_idiom", "select round(safe_divide(cast(a as float64), cast(b as float64)) * 100, 2) as v"
                               " from unnest([struct(1 as a, 3 as b), struct(2, 3), struct(1, 0)])"
                               " with offset as i order by i"),
    ("cast_to_numeric", "select cast(1.005 as numeric) as a, cast('1.0000000005' as numeric) as b,"
                        " cast(12 as numeric) as c"),
    ("numeric_arithmetic", "select numeric '0.1' + numeric '0.2' as a, numeric '1.5' * numeric '2.25' as b,"
                           " numeric '1' / 3 as c, numeric '1.5' * 2 as d"),
    ("float_literal_arithmetic", "select 0.1 + 0.2 as a, 1.645 * 2 as b, 10000.0 as c"),
    ("ieee_divide", "select ieee_divide(1, 0) as a, ieee_divide(-1, 0) as b, ieee_divide(6, 4) as c"),
    ("cast_float_to_int64", "select cast(x as int64) as v from unnest([2.5, -2.5, 3.5, 0.5, 1.4999999]) as x"
                            " with offset as i order by i"),
    ("cast_float_to_string", "select cast(x as string) as v from unnest([10000.0, 0.1, 1e20, 1e15, 1.0 / 3,"
                             " 123456789.125, -0.5]) as x with offset as i order by i"),
    ("cast_numeric_to_string", "select cast(numeric '1.50' as string) as a, cast(numeric '100' as string) as b,"
                               " cast(numeric '-0.000000001' as string) as c"),
    ("cast_float_to_numeric_exactly", "select cast(x as numeric) as v from unnest([251583297.59496567,"
                                      " 0.0000000015, 6384713381046.937, 0.1]) as x with offset as i order by i"),
    ("round_avg_of_int64", "select round(avg(x), 1) as v from unnest([1, 2, 2, 2]) as x"),
    ("simple_case_times_float", "select case k when 'a' then 0.30 when 'b' then 1.50 end * f as v"
                                " from unnest([struct('a' as k, 0.5 as f), struct('b', 1.0), struct('c', 1.0)]) as s"
                                " order by k"),
    ("pow_and_sqrt", "select pow(2, 10) as a, sqrt(16) as b, pow(1.5, 2) as c"),
    ("stddev_samp", "select stddev_samp(x) as a from unnest([1.0, 2.0, 4.0]) as x"),
    ("stddev_samp_of_one_value_is_null", "select stddev_samp(x) as v from unnest([5.0]) as x"),
    ("percentile_cont_median", "select distinct percentile_cont(x, 0.5) over () as v"
                               " from unnest([1.0, 2.0, 10.0, 4.0]) as x"),
]

SAFE = [
    ("safe_cast_string_to_int64", "select safe_cast('12' as int64) as a, safe_cast('1.5' as int64) as b,"
                                  " safe_cast('x' as int64) as c"),
    ("safe_cast_string_to_date", "select safe_cast(s as date) as v from unnest(['2025-01-05', '2025/01/05',"
                                 " '2025-1-5', ' 2025-01-05', '2025-02-30', '20250105']) as s"
                                 " with offset as i order by i"),
    ("safe_cast_string_to_bool", "select safe_cast(s as bool) as v from unnest(['true', 'FALSE', 't', '1', 'yes'])"
                                 " as s with offset as i order by i"),
    ("safe_cast_string_to_int64_forms", "select safe_cast(s as int64) as v from unnest([' 12 ', '+7', '0x1F', '1e3',"
                                        " '12.0', '1_000']) as s with offset as i order by i"),
    ("safe_cast_string_to_float64", "select safe_cast('1.5e3' as float64) as a, safe_cast('abc' as float64) as b"),
    ("safe_cast_trimmed_date_idiom", r"select safe_cast(trim(s) as date) as v from unnest([' 2026-03-01 ',"
                                     " '01/03/2026', '']) as s with offset as i order by i"),
]

ARRAYS = [
    ("array_length", "select array_length([1, 2, 3]) as a, array_length(cast([] as array<int64>)) as b"),
    ("unnest_rows", "select x from unnest([3, 1, 2]) as x order by x"),
    ("unnest_empty_array_has_no_rows", "select count(*) as v from unnest(cast([] as array<int64>)) as x"),
    ("in_unnest", "select 2 in unnest([1, 2]) as a, 5 in unnest(cast([] as array<int64>)) as b"),
    ("not_in_unnest", "select 3 not in unnest([1, 2]) as a, 1 not in unnest([1, 2]) as b"),
    ("array_concat_operator", "select [1, 2] || [3] as v"),
    ("array_to_string_skips_nulls", "select array_to_string(['a', null, 'b'], '-') as v"),
    ("generate_array", "select generate_array(1, 5, 2) as a, generate_array(5, 1) as b"),
    ("array_agg_order_by", "select array_agg(x order by x desc) as v from unnest([3, 1, 2]) as x"),
    ("unnest_with_offset", "select x, i from unnest(['a', 'b', 'c']) as x with offset as i order by i"),
    ("cross_join_unnest_structs", "select s.k, t from unnest([struct('a' as k, 1.5 as f), struct('b', 2.0)]) as s"
                                  " cross join unnest(['x', 'y']) as t order by s.k, t"),
    ("unnest_struct_array_field", "select c.n, m.v from unnest([struct('a' as n, [struct(2 as v), struct(1 as v)]"
                                  " as ms)]) as c cross join unnest(c.ms) as m order by m.v"),
    ("unnest_struct_array_with_offset", "select c.n, m.v, j from unnest([struct('a' as n, [struct(5 as v),"
                                        " struct(6 as v)] as ms)]) as c cross join unnest(c.ms) as m with offset as j"
                                        " order by j"),
    ("select_star_from_struct_array", "select * from unnest([struct('b' as k, cast(null as date) as d, 1.5 as f),"
                                      " struct('a', date '2026-01-01', 2.0)]) order by k"),
]

WINDOWS = [
    ("qualify_row_number", "select k, v from unnest([struct('a' as k, 1 as v), struct('a', 3), struct('b', 2)])"
                           " where true qualify row_number() over (partition by k order by v desc) = 1 order by k"),
    ("row_number_ties_broken_by_second_key", "select k, v, row_number() over (order by k desc, v) as r"
                                             " from unnest([struct(1 as k, 'b' as v), struct(1, 'a'), struct(2, 'c')])"
                                             " order by r"),
    ("running_sum_rows", "select v, sum(v) over (order by v rows between unbounded preceding and current row) as s"
                         " from unnest([1, 2, 3]) as v order by v"),
    ("running_sum_range_includes_peers", "select v, sum(v) over (order by v) as s from unnest([1, 2, 2, 3]) as v"
                                         " order by v"),
    ("moving_sum_one_preceding", "select v, sum(v) over (order by v rows between 1 preceding and current row) as s"
                                 " from unnest([1, 2, 3, 4]) as v order by v"),
    ("running_sum_numeric_by_month", "select d, sum(c) over (partition by date_trunc(d, month) order by d) as s"
                                     " from unnest([struct(date '2026-01-30' as d, numeric '1.5' as c),"
                                     " struct(date '2026-01-31', numeric '2'), struct(date '2026-02-01', numeric '3')])"
                                     " order by d"),
    ("lag_lead", "select v, lag(v) over (order by v) as p, lead(v, 1, -1) over (order by v) as n"
                 " from unnest([1, 2, 3]) as v order by v"),
    ("lead_minus_one_day", "select d, date_sub(lead(d) over (order by d), interval 1 day) as t,"
                           " lead(d) over (order by d) is null as last from unnest([date '2024-02-28',"
                           " date '2024-03-01', date '2024-03-10']) as d order by d"),
    ("row_number_ordered_by_boolean", "select k, row_number() over (order by v is null, k) as r"
                                      " from unnest([struct('a' as k, cast(null as date) as v), struct('b',"
                                      " date '2026-01-01')]) order by k"),
    ("running_stddev_and_count", "select v, count(*) over (order by v) as c,"
                                 " stddev_samp(v) over (order by v) as s from unnest([1.0, 2.0, 4.0]) as v order by v"),
    ("lag_of_nullable", "select k, lag(e) over (order by k) as p from unnest([struct(1 as k, 'a' as e),"
                        " struct(2, cast(null as string)), struct(3, 'a')]) order by k"),
    ("count_over_partition", "select k, count(*) over (partition by k) as c from unnest(['a', 'b', 'a']) as k"
                             " order by k"),
    ("rank_and_dense_rank", "select v, rank() over (order by v) as r, dense_rank() over (order by v) as d"
                            " from unnest([10, 20, 20, 30]) as v order by v"),
]

CASES = DATES + STRINGS + NULLS + NUMBERS + SAFE + ARRAYS + WINDOWS


@pytest.mark.parametrize("sql", [pytest.param(sql, id=name) for name, sql in CASES])
def test_duckdb_answers_like_bigquery(zetasql: ZetaSQL, sql: str) -> None:
    bigquery = bigquery_answer(zetasql, sql)
    duckdb = duckdb_answer(sql)
    assert duckdb[0] == bigquery[0], f"types: BigQuery {bigquery[0]}, DuckDB {duckdb[0]}"
    assert rows_equal(duckdb[1], bigquery[1]), f"BigQuery {describe(bigquery)}\nDuckDB   {describe(duckdb)}"


def test_case_names_are_unique() -> None:
    names = [name for name, _ in CASES]
    assert len(names) == len(set(names))
