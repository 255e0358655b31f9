// Nothing fails silently: alerts on the app's log events (shared/app/events.ts; docs/operations.md says
// what each means and what to do) and an availability test on /api/health.
// - final failures: every message that ended rolled back, failed, rejected or poisoned;
// - config.invalid: an app setting or the gateway configuration does not load (named in the event);
// - the dead man's switch: a configured gateway without a recent token.days_left, or with too few days left;
// - /api/health: it answers 503 when the configuration is broken, and nothing when the app is down.
param location string
param tags object
param appInsightsId string
param alertEmail string
@description('URL of the app\'s /api/health (anonymous).')
param healthUrl string
@description('How often ROTATION_SCHEDULE fires, in hours: the dead man\'s switch waits this plus a 2-hour margin.')
param rotationIntervalInHours int

var actions = { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
var silenceInHours = rotationIntervalInHours + 2

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-gateway-guard'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'gwguard'
    enabled: true
    emailReceivers: [{ name: 'owner', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

// Each log line is `<event> <JSON fields>`.
var finalFailuresQuery = '''
traces
| extend event = tostring(split(message, " ")[0])
| where event in ("rotation.rolled-back", "rotation.failed", "rotation.rejected", "rotation.poisoned")
| extend fields = parse_json(substring(message, indexof(message, "{")))
| project timestamp, event, gateway = tostring(fields.gateway), requestId = tostring(fields.requestId)
'''

var configInvalidQuery = '''
traces
| where message startswith "config.invalid "
| extend fields = parse_json(substring(message, indexof(message, "{")))
| project timestamp, setting = tostring(fields.setting), at = tostring(fields.at)
'''

// Pull mode: a pulled deployment's agent sent no report of Key Vault's current version for two of its
// intervals (the timer logs it after draining the report queues).
var agentSilentQuery = '''
traces
| where message startswith "agent.silent "
| extend fields = parse_json(substring(message, indexof(message, "{")))
| project timestamp, gateway = tostring(fields.gateway), cluster = tostring(fields.cluster), deployment = tostring(fields.deployment)
'''

// The gateways come from the last rotation.scheduled (every configured gateway, with renewBeforeInDays)
// that is older than the margin, so that its rotations had time to end.
var deadMansSwitchQuery = '''
let scheduled = traces
    | where timestamp between (ago(silence) .. ago(margin)) and message startswith "rotation.scheduled "
    | top 1 by timestamp desc
    | extend fields = parse_json(substring(message, indexof(message, "{")))
    | mv-expand entry = fields.gateways
    | project gateway = tostring(entry.name), renewBeforeInDays = toint(entry.renewBeforeInDays);
let daysLeft = traces
    | where timestamp > ago(silence) and message startswith "metric token.days_left "
    | extend fields = parse_json(substring(message, indexof(message, "{")))
    | summarize arg_max(timestamp, fields) by gateway = tostring(fields.gateway)
    | project gateway, daysLeft = todouble(fields.value);
let timerSilent = traces
    | where timestamp > ago(silence) and message startswith "rotation.scheduled "
    | summarize runs = count()
    | where runs == 0
    | project gateway = "(all: the timer did not run)", problem = "no rotation.scheduled";
scheduled
| join kind=leftouter daysLeft on gateway
| where isnull(daysLeft) or daysLeft < renewBeforeInDays - 1
| project gateway, problem = iff(isnull(daysLeft), "no token.days_left", "token.days_left below renewBeforeInDays - 1")
| union timerSilent
'''

resource finalFailures 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'gateway-guard rotation ended in failure'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: 'A rotation message ended rolled back, failed, rejected or poisoned. The token still works for days: see docs/operations.md.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: finalFailuresQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'event', operator: 'Include', values: ['*'] }
            { name: 'gateway', operator: 'Include', values: ['*'] }
          ]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: actions
  }
}

resource configInvalid 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'gateway-guard configuration invalid'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: 'An app setting or the gateway configuration does not load (config.invalid names the setting): rotations stop until it is fixed.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: configInvalidQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [{ name: 'setting', operator: 'Include', values: ['*'] }]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: actions
  }
}

resource agentSilent 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'gateway-guard pull agent silent'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: 'A pulled cluster\'s agent stopped reporting while a newer token waits (agent.silent): revocation of the old key waits, and the cluster may run an old token (docs/pull-mode.md).'
    severity: 2
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    criteria: {
      allOf: [
        {
          query: agentSilentQuery
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'gateway', operator: 'Include', values: ['*'] }
            { name: 'cluster', operator: 'Include', values: ['*'] }
          ]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: actions
  }
}

resource deadMansSwitch 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'gateway-guard rotation overdue'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    description: 'Dead man\'s switch: a configured gateway logged no token.days_left for ${silenceInHours} hours, or fewer days than renewBeforeInDays - 1; or the timer did not run. Rotation should have happened and did not.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT1H'
    overrideQueryTimeRange: 'PT${silenceInHours}H'
    criteria: {
      allOf: [
        {
          query: 'let silence = ${silenceInHours}h;\nlet margin = 2h;${deadMansSwitchQuery}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [{ name: 'gateway', operator: 'Include', values: ['*'] }]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: actions
  }
}

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'gateway-guard-health'
  location: location
  // Availability tests are linked to their Application Insights resource by this tag.
  tags: union(tags, { 'hidden-link:${appInsightsId}': 'Resource' })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'gateway-guard-health'
    Name: 'gateway-guard /api/health'
    Kind: 'standard'
    Enabled: true
    Frequency: 300
    Timeout: 30
    RetryEnabled: true
    Locations: [{ Id: 'emea-nl-ams-azr' }, { Id: 'us-va-ash-azr' }, { Id: 'apac-sg-sin-azr' }]
    Request: { RequestUrl: healthUrl, HttpVerb: 'GET' }
    ValidationRules: { ExpectedHttpStatusCode: 200, SSLCheck: true, SSLCertRemainingLifetimeCheck: 7 }
  }
}

resource healthFailing 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: 'gateway-guard health failing'
  location: 'global'
  tags: tags
  properties: {
    description: '/api/health does not answer 200: the configuration is broken (503 names the setting) or the app is down.'
    severity: 1
    enabled: true
    scopes: [healthTest.id, appInsightsId]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: appInsightsId
      failedLocationCount: 2
    }
    actions: empty(alertEmail) ? [] : [{ actionGroupId: actionGroup.id }]
  }
}
