-- Today's call list: each rep's first five accounts to act on (v_rep_call_list), with scores, action and reasons
with call_list as (
  select
    owner_id,
    coalesce(owner_name, owner_email, owner_id, 'no owner') as owner_name,
    position,
    score_date,
    account_id,
    account_name,
    recommended_action,
    priority_score,
    budget_likelihood,
    engagement_score,
    reasons,
    last_interaction_date,
    count(*) over (partition by owner_id) as accounts_to_act_on,
  from v_rep_call_list
),

final as (
  select *
  from call_list
  where position <= 5
)

select * from final
order by owner_name, position
