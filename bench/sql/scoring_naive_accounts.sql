-- bench only (bench/scoring_naive.py): the live accounts the naive loop scores, in id order.
select account_id
from sf_accounts
where not is_deleted
order by account_id
