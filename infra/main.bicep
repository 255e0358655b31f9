// gateway-guard: everything the Function App needs in Azure (azd layout: `azd up` deploys this, then the code).
// Identity-based access everywhere: no storage keys, no connection strings, least-privilege roles.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name the resource group and resources.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Resource group of the API Management service whose self-hosted gateways are managed.')
param apimResourceGroupName string

@description('Name of the API Management service.')
param apimServiceName string

@description('The gateway-guard configuration as base64-encoded JSON (base64 keeps its quotes intact through azd), stored decoded in app setting GATEWAY_GUARD_CONFIG. See README "Configuration".')
param gatewayGuardConfigBase64 string

@description('NCRONTAB schedule of the rotation fan-out (app setting ROTATION_SCHEDULE). Default: daily at 03:00 UTC.')
param rotationSchedule string = '0 0 3 * * *'

@description('How often rotationSchedule fires, in hours (24 for the default daily schedule). The dead man\'s switch alerts when a gateway logged no token.days_left for this plus 2 hours.')
@minValue(1)
param rotationIntervalInHours int = 24

@description('Minutes the timer spreads a run\'s rotations over (app setting ROTATION_SPREAD_IN_MINUTES): each gateway\'s message waits a delay derived from its name, the same every run. 0 starts all at once; at most 720, well under the daily schedule.')
@minValue(0)
@maxValue(720)
param rotationSpreadInMinutes int = 60

@description('Rollouts at once per cluster, across instances (app setting ROTATION_ROLLOUTS_PER_CLUSTER; Lease slots, counted per namespace unless rolloutSlotsNamespace is set). 0 for no cap.')
@minValue(0)
@maxValue(100)
param rolloutsPerCluster int = 4

@description('Namespace of the rollout slot Leases in every cluster (app setting ROTATION_SLOTS_NAMESPACE), which makes the cap per cluster; gateway-guard\'s Role must grant its Lease verbs there. Empty: each deployment\'s own namespace.')
param rolloutSlotsNamespace string = ''

@description('Grant listKeys/action and regenerateKey/action so that revokeOldKey can work. Off by default: revocation is opt-in. Switching it off removes both from the same role.')
param allowKeyRevocation bool = false

@description('Email that receives the alerts (final failures, config.invalid, the dead man\'s switch, /api/health); empty for none.')
param alertEmail string = ''

@description('Comma-separated resource ids of API Management instances whose GatewayTokenNearExpiry/GatewayTokenExpired events reach the webhook (one Event Grid system topic each). Empty for none. Set after the first `azd deploy`: Event Grid validates the endpoint when it subscribes.')
param apimEventSourceIds string = ''

@description('Pull mode (docs/pull-mode.md): the clusters whose agent delivers, each { name, agentPrincipalId, secretNames }. Add a cluster after its gateways\' first rotation stored their secrets. Base64 JSON in azd (PULL_CLUSTERS_BASE64).')
param pullClustersBase64 string = ''

var tags = { 'azd-env-name': environmentName, application: 'gateway-guard' }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  name: 'gateway-guard-resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: token
    gatewayGuardConfig: base64ToString(gatewayGuardConfigBase64)
    rotationSchedule: rotationSchedule
    rotationIntervalInHours: rotationIntervalInHours
    rotationSpreadInMinutes: rotationSpreadInMinutes
    rolloutsPerCluster: rolloutsPerCluster
    rolloutSlotsNamespace: rolloutSlotsNamespace
    alertEmail: alertEmail
    pullClusters: empty(pullClustersBase64) ? [] : json(base64ToString(pullClustersBase64))
  }
}

module apimAccess 'modules/apim-access.bicep' = {
  name: 'gateway-guard-apim-access'
  scope: resourceGroup(apimResourceGroupName)
  params: {
    apimServiceName: apimServiceName
    principalId: resources.outputs.identityPrincipalId
    allowKeyRevocation: allowKeyRevocation
    deploymentToken: token
  }
}

var apimEventSources = filter(map(split(apimEventSourceIds, ','), id => trim(id)), id => !empty(id))

// `/subscriptions/{id}/resourceGroups/{name}/providers/Microsoft.ApiManagement/service/{name}`
module apimEvents 'modules/apim-events.bicep' = [
  for (sourceId, i) in apimEventSources: {
    name: 'gateway-guard-apim-events-${i}'
    scope: resourceGroup(split(sourceId, '/')[2], split(sourceId, '/')[4])
    params: {
      apimServiceName: last(split(sourceId, '/'))
      tags: tags
      functionAppSubscriptionId: subscription().subscriptionId
      functionAppResourceGroupName: rg.name
      functionAppName: resources.outputs.functionAppName
    }
  }
]

output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_KEY_VAULT_URL string = resources.outputs.keyVaultUrl
output AZURE_CLIENT_ID string = resources.outputs.identityClientId
output GATEWAY_GUARD_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
