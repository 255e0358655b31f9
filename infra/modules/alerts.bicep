// Alerts on the structured log events the app writes: a failed rotation and a poisoned queue message.
param location string
param tags object
param appInsightsId string
param alertEmail string

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

resource rotationFailures 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = {
  name: 'gateway-guard rotation failed or poisoned'
  location: location
  tags: tags
  properties: {
    description: 'A gateway token rotation failed, was rolled back, or its queue message was poisoned. Tokens expire: act within days.'
    severity: 1
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'traces | where message has_any ("rotation.failed", "rotation.poisoned", "rotation.rolled-back")'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertEmail) ? [] : [actionGroup.id] }
  }
}
