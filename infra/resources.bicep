// The resource group's contents: identity, storage, monitoring, Key Vault, the Function App, alerts.
param location string
param tags object
param resourceToken string
param gatewayGuardConfig string
param rotationSchedule string
param rotationIntervalInHours int
param rotationSpreadInMinutes int
param rolloutsPerCluster int
param rolloutSlotsNamespace string
param alertEmail string
@description('Pull mode: each cluster whose agent delivers ({ name, agentPrincipalId, secretNames }); see modules/pull-clusters.bicep.')
param pullClusters array = []

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-gwguard-${resourceToken}'
  location: location
  tags: tags
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stgwguard${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
  resource blobServices 'blobServices' = {
    name: 'default'
    resource deployment 'containers' = { name: 'deploymentpackage' }
    // The book of pull agents' reports (blob reports.json).
    resource reports 'containers' = { name: 'gateway-guard' }
  }
  resource queueServices 'queueServices' = {
    name: 'default'
    resource rotations 'queues' = { name: 'gateway-rotations' }
    resource poison 'queues' = { name: 'gateway-rotations-poison' }
  }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-gwguard-${resourceToken}'
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-gwguard-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id, DisableLocalAuth: true }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-gwguard-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-gwguard-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-gwguard-${resourceToken}'
  location: location
  tags: union(tags, { 'azd-service-name': 'gateway-guard' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}deploymentpackage'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identity.id }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage (queues, timers, leases of the host) through the managed identity, at the
        // account's own endpoints (sovereign clouds have other host names).
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
        // DefaultAzureCredential picks the user-assigned identity by this client id.
        { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
        // The app's core is bundled (dist/app/): map stack traces back to the TypeScript sources.
        { name: 'NODE_OPTIONS', value: '--enable-source-maps' }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.properties.clientId};Authorization=AAD' }
        // gateway-guard's own settings (README "Configuration").
        { name: 'GATEWAY_GUARD_CONFIG', value: gatewayGuardConfig }
        { name: 'ROTATION_SCHEDULE', value: rotationSchedule }
        { name: 'ROTATION_SPREAD_IN_MINUTES', value: string(rotationSpreadInMinutes) }
        { name: 'ROTATION_ROLLOUTS_PER_CLUSTER', value: string(rolloutsPerCluster) }
        { name: 'ROTATION_SLOTS_NAMESPACE', value: rolloutSlotsNamespace }
        { name: 'GATEWAY_GUARD_ARM_ENDPOINT', value: environment().resourceManager }
      ]
    }
  }
}

module roleAssignments 'modules/role-assignments.bicep' = {
  name: 'gateway-guard-roles'
  params: {
    principalId: identity.properties.principalId
    storageAccountName: storage.name
    keyVaultName: vault.name
    appInsightsName: appInsights.name
    roles: roles
  }
}

module pulledClusters 'modules/pull-clusters.bicep' = if (!empty(pullClusters)) {
  name: 'gateway-guard-pull-clusters'
  params: {
    storageAccountName: storage.name
    keyVaultName: vault.name
    pullClusters: pullClusters
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'gateway-guard-alerts'
  params: {
    location: location
    tags: tags
    appInsightsId: appInsights.id
    alertEmail: alertEmail
    healthUrl: 'https://${functionApp.properties.defaultHostName}/api/health'
    rotationIntervalInHours: rotationIntervalInHours
  }
}

output functionAppName string = functionApp.name
output keyVaultUrl string = vault.properties.vaultUri
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
